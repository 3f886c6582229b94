"""Preview while editing: serve the site, rebuild it on every change, reload the browser.

    python tools/devserver.py --port 8000 [--newsletter-port 8001]

Watches content/, data/, theme/, plugins/, website/ (the plugins' shared
code) and the settings file (Pelican's own autoreload does not watch data/).
Each rebuild is a run of tools/build.py (`pelican`, with mistakes
reported as file:line: field: message) of its own: one that fails prints its
problems, the previous build stays online and the open pages are not
reloaded. Missing pages get the site's 404 page and --newsletter-port starts
the sign-up service, as with tools/serve.py.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading

import watchfiles
from livereload import Server
from livereload.handlers import LiveReloadHandler, StaticFileHandler
from livereload.watcher import Watcher
from tornado.ioloop import IOLoop

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serve import newsletter_service, not_found_page

BUILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build.py")


def build_command(args, endpoint=None):
    command = [sys.executable, BUILD, args.content, "-o", args.output, "-s", args.settings]
    extra = {}
    if endpoint:  # the form posts to the service started beside the site
        extra["NEWSLETTER_ENDPOINT"] = endpoint
    if args.data:
        extra["DATA_PATH"] = os.path.abspath(args.data)
    if extra:  # one -e with every setting: a second -e would replace the first
        command += ["-e", *(f"{key}={json.dumps(value)}" for key, value in extra.items())]
    return command


def build(command):
    worked = subprocess.run(command).returncode == 0
    print("Rebuilt." if worked else "Build stopped: see the problems above.", flush=True)
    return worked


class Rebuilds(Watcher):
    """livereload's watcher, told of changes by watchfiles (inotify) instead of
    looking at every file every 0.8 s: one build for what changed at once,
    then a reload of the open pages if it worked.

    livereload would reload after a failed build too, and skip a reload
    within 3 s of the last one: the reload is sent here instead.
    """

    def __init__(self, command, paths):
        super().__init__()
        self.command = command
        self.changed = set()
        self.lock = threading.Lock()
        self.wake = None  # livereload's callback, in its loop, once it serves
        # Watching from now on: an edit saved during the first build is seen after it.
        threading.Thread(target=self.watch_files, args=(paths,), daemon=True).start()

    def watch_files(self, paths):
        for changes in watchfiles.watch(*paths):
            with self.lock:
                self.changed |= {os.path.relpath(path) for _, path in changes}
                wake = self.wake
            if wake is not None:
                wake()

    def start(self, callback):
        loop = IOLoop.current()
        with self.lock:
            self.wake = lambda: loop.add_callback(callback)
            if self.changed:
                self.wake()
        return True  # livereload then calls examine() only when woken

    def examine(self):
        with self.lock:
            changed, self.changed = self.changed, set()
        if changed:
            print(f"Changed: {', '.join(sorted(changed))}", flush=True)
            if build(self.command):
                LiveReloadHandler.reload_waiters()
        return None, None


class SiteFiles(StaticFileHandler):
    """livereload's file handler, with the site's 404 pages as tools/serve.py serves them."""

    def write_error(self, status_code, **kwargs):
        page = not_found_page(self.root, self.request.path) if status_code == 404 else None
        if page is None:
            return super().write_error(status_code, **kwargs)
        # text/html also has livereload add its script, so the 404 page reloads too.
        self.set_header("Content-Type", "text/html; charset=utf-8")
        with open(page, "rb") as handle:
            self.finish(handle.read())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--content", default="content")
    parser.add_argument("--data", help="the data folder (default: data, as the settings say)")
    parser.add_argument("--output", default="output")
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument(
        "--newsletter-port", type=int, default=0, help="also run the sign-up service"
    )
    args = parser.parse_args(argv)

    endpoint = None
    if args.newsletter_port:
        endpoint = f"http://{args.host}:{args.newsletter_port}/subscribe"
    # The theme, the plugins and their shared code are taken from beside the settings file.
    beside = os.path.dirname(os.path.abspath(args.settings))
    folders = [
        args.content,
        args.data or "data",
        *(os.path.join(beside, name) for name in ("theme", "plugins", "website")),
    ]
    watcher = Rebuilds(build_command(args, endpoint), [*folders, args.settings])
    build(watcher.command)
    os.makedirs(args.output, exist_ok=True)
    server = Server(watcher=watcher)
    server.SFH = SiteFiles
    for path in [*folders, args.settings]:
        server.watch(path)  # named for livereload's log; watcher.watch_files does the watching

    # Stopped with kill rather than Ctrl-C, still stop the sign-up service.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    site_url = f"http://{args.host}:{args.port}"
    with newsletter_service(args.host, args.newsletter_port, site_url):
        print(
            f"Serving at {site_url}/ ; watching {', '.join(map(os.path.relpath, folders))} "
            f"and {args.settings} (Ctrl-C to stop)",
            flush=True,
        )
        # A rebuild may change any page: reload it whole, never only its style sheets.
        server.serve(host=args.host, port=args.port, root=args.output, live_css=False)


if __name__ == "__main__":
    main()
