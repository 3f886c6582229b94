"""Serve the built site locally, as a static host would, with the sign-up service.

    python tools/serve.py --port 8000 --root output [--newsletter-port 8001]

Missing pages get the site's 404 page in the language of their address.
With --newsletter-port, the newsletter sign-up service runs beside the site
in development mode: its database and the mails it would send (as .eml
files, their links printed here) go to newsletter-data/.
"""

import argparse
import contextlib
import functools
import http.server
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def not_found_page(root, path):
    """The 404 page of the language the address is in, else the default one."""
    first = path.lstrip("/").split("/", 1)[0]
    candidates = [os.path.join(root, "404.html")]
    if first:
        candidates.insert(0, os.path.join(root, first, "404.html"))
    return next((page for page in candidates if os.path.isfile(page)), None)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    def send_error(self, code, message=None, explain=None):
        if code != 404:
            return super().send_error(code, message, explain)
        page = not_found_page(self.directory, self.path)
        if page is None:
            return super().send_error(code, message, explain)
        with open(page, "rb") as handle:
            body = handle.read()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")


def make_server(host, port, root):
    handler = functools.partial(SiteHandler, directory=os.path.abspath(root))
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    return http.server.ThreadingHTTPServer((host, port), handler)


@contextlib.contextmanager
def newsletter_service(host, port, site_url):
    """Runs `python -m newsletter serve` for as long as the block lasts (port 0: not at all)."""
    if not port:
        yield None
        return
    env = {**os.environ, "NEWSLETTER_SITE_URL": os.environ.get("NEWSLETTER_SITE_URL", site_url)}
    service = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "serve", "--host", host, "--port", str(port)],
        cwd=ROOT,
        env=env,
    )
    print(f"Sign-up service at http://{host}:{port}/ (mail goes to newsletter-data/mail/)")
    try:
        yield service
    finally:
        service.terminate()
        try:
            service.wait(timeout=10)
        except subprocess.TimeoutExpired:
            service.kill()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--root", default="output")
    parser.add_argument(
        "--newsletter-port", type=int, default=0, help="also run the sign-up service"
    )
    args = parser.parse_args(argv)
    if not os.path.isfile(os.path.join(args.root, "index.html")):
        sys.exit(f"{args.root}/ has no site yet: run `make html` first.")
    server = make_server(args.host, args.port, args.root)
    # Stopped with kill rather than Ctrl-C, still stop the sign-up service.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    site_url = f"http://{args.host}:{args.port}"
    with newsletter_service(args.host, args.newsletter_port, site_url):
        print(f"Serving {args.root}/ at {site_url}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


if __name__ == "__main__":
    main()
