"""Config files that build on other config files, by path.

A config (`configs/*.py`, or a user's own file anywhere) loads the config it
builds on by file path, so it loads the same way from any working directory,
through the installed console scripts, with no `PYTHONPATH`:

    from xlm_keras.config_files import load_config_file

    mt_enfr = load_config_file("mt_enfr.py", relative_to=__file__)

    def get_config():
        config = mt_enfr.get_config()
        config.translation.directions = "en-de,de-en"
        return config

A user's config outside the repository names a shipped one by its path
relative to itself (or an absolute path), e.g.
`load_config_file("../xlm-keras/configs/mt_enfr.py", relative_to=__file__)`.
"""

import hashlib
import importlib.util
import os
import sys


def load_config_file(path, *, relative_to):
    """The module of the config file `path`.

    Args:
        path: the config file (str); a relative path is resolved against the
            directory of `relative_to`. `~` is expanded.
        relative_to: the file of the config that asks (its `__file__`).

    Returns: the loaded module; loading the same file twice returns the same
    module.
    Raises: FileNotFoundError naming the resolved path when there is no file.
    """
    base = os.path.dirname(os.path.abspath(relative_to))
    resolved = os.path.normpath(os.path.join(base, os.path.expanduser(path)))
    if not os.path.isfile(resolved):
        raise FileNotFoundError(
            f"config file {resolved} not found ({path!r} from {relative_to}); "
            "give a path relative to the asking config file, or an absolute one"
        )
    stem = os.path.splitext(os.path.basename(resolved))[0]
    digest = hashlib.sha1(resolved.encode("utf-8")).hexdigest()[:12]
    name = f"xlm_keras_config_files.{stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, resolved)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
