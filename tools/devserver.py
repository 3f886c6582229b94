"""Preview while editing: serve the site and rebuild it on every change.

    python tools/devserver.py --port 8000

Watches content/, data/, theme/, plugins/ and the settings file (Pelican's
own autoreload does not watch data/). Each rebuild is a `pelican` run of its
own, so a mistake is reported and the previous build stays online until
fixed. The runs start warm (warm_build.py): Pelican and the plugins are
imported once, not at every rebuild.
"""

import argparse
import json
import os
import signal
import sys
import threading

import watchfiles

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from warm_build import WarmBuilder

from serve import make_server, newsletter_service

WATCHED = ["content", "data", "theme", "plugins"]


def build(builder, output, endpoint=None):
    arguments = ["content", "-o", output, "-s", builder.settings]
    if endpoint:  # the form posts to the service started beside the site
        arguments += ["-e", f"NEWSLETTER_ENDPOINT={json.dumps(endpoint)}"]
    status = builder.build(arguments)
    print("Rebuilt." if status == 0 else "Build stopped: see the problems above.", flush=True)
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--output", default="output")
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument(
        "--newsletter-port", type=int, default=0, help="also run the sign-up service"
    )
    args = parser.parse_args(argv)

    endpoint = None
    if args.newsletter_port:
        endpoint = f"http://{args.host}:{args.newsletter_port}/subscribe"
    builder = WarmBuilder(args.settings)
    build(builder, args.output, endpoint)
    os.makedirs(args.output, exist_ok=True)
    server = make_server(args.host, args.port, args.output)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(
        f"Serving at http://{args.host}:{args.port}/ ; watching {', '.join(WATCHED)} "
        f"and {args.settings} (Ctrl-C to stop)",
        flush=True,
    )
    # Stopped with kill rather than Ctrl-C, still stop the sign-up service.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    paths = [path for path in [*WATCHED, args.settings] if os.path.exists(path)]
    site_url = f"http://{args.host}:{args.port}"
    try:
        with newsletter_service(args.host, args.newsletter_port, site_url):
            for changes in watchfiles.watch(*paths, watch_filter=watchfiles.DefaultFilter()):
                names = sorted({os.path.relpath(path) for _, path in changes})
                print(f"Changed: {', '.join(names)}", flush=True)
                build(builder, args.output, endpoint)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        builder.close()


if __name__ == "__main__":
    main()
