"""``tlkit data``: where data and weights come from, and fetching them into the cache."""

from __future__ import annotations

import sys

FETCHABLE = ("mnist", "emnist", "flowers", "embedded")


def add_commands(subparsers) -> None:
    """Register ``tlkit data status`` and ``tlkit data fetch NAME``."""
    parser = subparsers.add_parser("data", help="datasets and pretrained weights")
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    status = sub.add_parser("status", help="where each dataset and set of weights would come from")
    status.set_defaults(func=_status)
    fetch = sub.add_parser("fetch", help="download a dataset into the cache (pinned sha256)")
    fetch.add_argument("name", choices=FETCHABLE)
    fetch.add_argument("--no-progress", action="store_true", help="no progress bar")
    fetch.set_defaults(func=_fetch)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _status(args) -> int:
    from tlkit import config
    from tlkit.data import sources

    print(f"TLKIT_HOME={config.home()}  TLKIT_DATA_DIR={config.data_dir() or '-'}  "
          f"offline={config.offline()}")
    rows = sources.status()[["kind", "name", "origin", "detail"]].itertuples(index=False)
    print(f"{'KIND':8} {'NAME':25} {'ORIGIN':9} DETAIL (path, URL or fallback; ignored files)")
    for kind, name, origin, detail in rows:
        print(f"{kind:8} {name:25} {origin:9} {detail}")
    return 0


def _fetch(args) -> int:
    from tlkit.data import download

    if args.name == "embedded":
        from tlkit.data.embedded_photos import embedded_images

        print(embedded_images(announce=False))
        return 0
    try:
        path = download.fetch(args.name, progress=not args.no_progress)
    except download.DownloadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.name == "mnist":  # where keras.datasets.mnist looks too
        from tlkit.data.mnist import keras_cache_path

        download.link_into(path, keras_cache_path())
    elif args.name == "emnist":  # where the emnist package looks too
        from tlkit.data.emnist import link_for_package

        link_for_package(path)
    print(path)
    return 0
