"""Imports a training folder's modules without leaving them in sys.modules.

The training folders use flat module names (model, train, data, ...) that
other training folders use too; the test runner loads every test module in
one interpreter, so each folder's modules are imported in isolation and
sys.modules is restored after.
"""
import importlib
import os
import sys

TRAINING = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))


def loader(folder):
    """A `load(*names)` for training/<folder>."""
    root = os.path.join(TRAINING, folder)

    def ours(mod):
        f = getattr(mod, "__file__", None) or ""
        return bool(f) and os.path.dirname(os.path.abspath(f)) == root

    def load(*names):
        saved = {}
        for n in list(sys.modules):
            if "." not in n and os.path.exists(os.path.join(root, n + ".py")) and not ours(sys.modules[n]):
                saved[n] = sys.modules.pop(n)
        sys.path.insert(0, root)
        try:
            mods = [importlib.import_module(n) for n in names]
        finally:
            sys.path.remove(root)
            for n in list(sys.modules):
                if "." not in n and ours(sys.modules[n]):
                    del sys.modules[n]
            sys.modules.update(saved)
        return mods if len(mods) > 1 else mods[0]

    return load
