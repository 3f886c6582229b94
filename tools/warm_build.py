"""Preview builds started warm: Pelican and the plugins imported once, each build a fork.

A fresh ``pelican`` spends a quarter of a second starting: Python, Pelican,
the plugins and what they import (pydantic and the data schemas, Babel,
icalendar, Markdown...), before it looks at a single file. That is a tenth
of a rebuild after one edit (docs/performance.md). The preview server
(devserver.py) keeps a process that has done all of it once and makes each
build in a fork of itself: the build starts where a fresh ``pelican`` would
be after its imports, and nothing is left from the build before, as the
process that forks never builds.

That process only imports code. Before each build it looks whether a file
of the project's code it imported (the settings file, a plugin, the
newsletter package) changed since; if one did, it ends and a new one starts,
so a build never runs older code than a fresh ``pelican`` would. Without
``os.fork`` (Windows), or if that process has died, each build is a fresh
``pelican`` as before.

    python tools/warm_build.py SETTINGS ANSWER_FD

reads one build per line on its standard input (``pelican``'s arguments, as
a JSON list) and writes each build's exit status on ANSWER_FD, one per line
(``restart`` when its code changed); what the build prints goes where this
process's output goes.
"""

import contextlib
import importlib
import json
import logging
import os
import subprocess
import sys
import traceback

PELICAN = os.path.join(os.path.dirname(sys.executable), "pelican")
RESTART = "restart"  # the answer of a process whose code changed
STEPPED_ASIDE = 3  # its exit status when it cannot import what a build needs


class WarmBuilder:
    """Runs ``pelican`` builds in forks of a process that has imported everything already."""

    def __init__(self, settings, cwd=None, output=None):
        """``output``: where the builds' messages go (subprocess's stdout), by default here."""
        self.settings = os.path.abspath(settings)
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self.output = output
        self.process = None
        self.answers = None

    def build(self, arguments):
        """Build with these ``pelican`` arguments; the exit status."""
        if not hasattr(os, "fork"):
            return self.fresh_build(arguments)
        for _ in range(2):  # a second time with new code
            if self.process is None:
                self.start()
            try:
                self.process.stdin.write(json.dumps(arguments) + "\n")
                self.process.stdin.flush()
                answer = self.answers.readline().strip()
            except OSError:  # it died (killed, out of memory): start it again next time
                answer = ""
            if answer and answer != RESTART:
                return int(answer)
            self.close()
            if not answer:
                break
        return self.fresh_build(arguments)

    def fresh_build(self, arguments):
        command = [PELICAN, *arguments]
        output = {"stdout": self.output, "stderr": self.output}
        return subprocess.run(command, cwd=self.cwd, check=False, **output).returncode

    def start(self):
        read_end, write_end = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), self.settings, str(write_end)],
                cwd=self.cwd,
                stdin=subprocess.PIPE,
                stdout=self.output,
                stderr=self.output,
                text=True,
                pass_fds=(write_end,),
            )
        finally:
            os.close(write_end)
        self.answers = os.fdopen(read_end, encoding="ascii")

    def close(self):
        if self.process is None:
            return
        with contextlib.suppress(OSError):  # it may have died
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.answers.close()
        self.process = self.answers = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def import_everything(settings_path):
    """What a build imports: Pelican, the plugins and their libraries, the
    Markdown extensions and Babel's data for the site's languages. Nothing
    is registered or read from content/ or data/."""
    import babel
    import markdown
    from pelican.settings import read_settings

    settings = read_settings(settings_path)
    for name in settings.get("PLUGINS") or ():
        if isinstance(name, str):
            importlib.import_module(name)
    configs = settings.get("MARKDOWN", {}).get("extension_configs", {})
    markdown.Markdown(extensions=list(configs), extension_configs=configs)  # as Pelican's reader
    languages = settings.get("LANGUAGES") or {settings["DEFAULT_LANG"]: {}}
    for code, language in languages.items():
        babel.Locale.parse(language.get("locale", code)).date_formats  # noqa: B018 - loads it


def project_code(root):
    """{path: modification time} of the modules imported from the project's
    folder (not from the virtual environment or Python's own)."""
    root = os.path.realpath(root) + os.sep
    outside = {os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix)}
    code = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = os.path.realpath(path)
        if path.startswith(root) and not any(path.startswith(prefix) for prefix in outside):
            try:
                code[path] = os.stat(path).st_mtime_ns
            except OSError:
                code[path] = None
    return code


def changed_since(code):
    for path, modified in code.items():
        try:
            if os.stat(path).st_mtime_ns != modified:
                return True
        except OSError:
            if modified is not None:
                return True
    return False


def build_in_fork(arguments):
    """One ``pelican`` run in a child process; its exit status."""
    import pelican

    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        status = 1
        try:
            pelican.main(arguments)
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        except BaseException:  # noqa: BLE001 - reported, and the child still ends
            traceback.print_exc()
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)  # not the parent's exit handlers: they are the parent's
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])


def serve(settings_path, answer_fd):
    try:
        import_everything(settings_path)
    except BaseException:  # noqa: BLE001 - a broken settings file or plugin
        # Said by the fresh `pelican` that builds instead, as an editor would
        # see it without this process; a second report here would be a traceback.
        sys.exit(STEPPED_ASIDE)
    code = project_code(os.getcwd())
    with os.fdopen(answer_fd, "w", encoding="ascii") as answers:
        for line in sys.stdin:
            if changed_since(code):
                answers.write(f"{RESTART}\n")
                answers.flush()
                return
            answers.write(f"{build_in_fork(json.loads(line))}\n")
            answers.flush()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C in the preview reaches every process
        serve(sys.argv[1], int(sys.argv[2]))
