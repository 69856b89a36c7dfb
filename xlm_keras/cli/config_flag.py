"""`--config=FILE` with `--config.a.b=value` overrides (ml_collections), and a
mistyped override key refused in one line.

ml_collections raises a bare `AttributeError` for an override whose key the
config lacks (`--config.train.num_stepz=3`), with a traceback. The keys of
every override are checked here first, against the config file the command
line names (or the default); one that is not in the config prints

    xlm-train: error: --config.train.num_stepz: config.train has no key
    'num_stepz' (did you mean 'num_steps'?); its keys: ...

and exits 2, as a command line that does not parse.
"""

import difflib
import os
import re
import runpy
import sys

import ml_collections
from ml_collections import config_flags

from xlm_keras.cli.errors import USAGE_EXIT_CODE

NAME = "config"


def define_config_flag(program, default_path, help_text, argv=None):
    """`config_flags.DEFINE_config_file(NAME, default_path, help_text)`, after
    refusing (one line on stderr, exit 2) an override of `argv` (default
    `sys.argv`) that names a key the config lacks. Returns the FlagHolder."""
    argv = sys.argv if argv is None else argv
    overrides = override_keys(argv)
    if overrides:
        config = _load(config_path(argv) or default_path)
        problem = config is not None and unknown_key(config, overrides)
        if problem:
            print(f"{program}: error: {problem}", file=sys.stderr)
            sys.exit(USAGE_EXIT_CODE)
    return config_flags.DEFINE_config_file(NAME, default_path, help_text)


def config_path(argv):
    """The config file that `argv` names (`--config=F` or `--config F`; the
    last one wins), or None."""
    path = None
    for index, arg in enumerate(argv):
        match = re.fullmatch(rf"--?{NAME}(=(.*))?", arg)
        if match:
            path = match.group(2) if match.group(1) else _next(argv, index)
    return path


def override_keys(argv):
    """The dotted keys of `argv`'s `--config.<key>[=v]` / `--noconfig.<key>`."""
    keys = []
    for arg in argv:
        match = re.match(rf"--?(?:no)?{NAME}\.([^=]+)", arg)
        if match:
            keys.append(match.group(1))
    return keys


def unknown_key(config, keys):
    """A one-line message for the first of `keys` ("train.num_steps") that
    `config` lacks, or None when all are there."""
    for key in keys:
        section, parts = config, key.split(".")
        for depth, part in enumerate(parts):
            where = ".".join([NAME, *parts[:depth]])
            if not isinstance(section, ml_collections.ConfigDict):
                return f"--{NAME}.{key}: {where} is a value, not a section with keys"
            if part not in section:
                names = sorted(section.keys())
                close = difflib.get_close_matches(part, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                return (
                    f"--{NAME}.{key}: {where} has no key {part!r}{hint}; "
                    f"its keys: {', '.join(names)}"
                )
            section = section[part]
    return None


def _next(argv, index):
    return argv[index + 1] if index + 1 < len(argv) else None


def _load(path):
    """The config of the file `path` (`FILE[:argument]`), or None when it
    does not load: the flag's own parsing of the file then reports why."""
    file, *argument = path.split(":", 1)
    try:
        config = runpy.run_path(os.path.expanduser(file))["get_config"](*argument)
    except Exception:  # Reported again, in full, when the flag itself parses the file.
        return None
    return config if isinstance(config, ml_collections.ConfigDict) else None
