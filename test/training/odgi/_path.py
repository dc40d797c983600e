"""Imports training/odgi modules without leaving them in sys.modules.

training/odgi uses flat module names (model, train, dataset, ...) that other
training folders also use; the test runner loads every test module in one
interpreter, so we import ours in isolation and restore sys.modules after.
"""
import importlib
import os
import sys

ODGI = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "training", "odgi"))


def _ours(mod):
    f = getattr(mod, "__file__", None) or ""
    return bool(f) and os.path.dirname(os.path.abspath(f)) == ODGI


def load(*names):
    saved = {}
    for n in list(sys.modules):
        if "." not in n and os.path.exists(os.path.join(ODGI, n + ".py")) and not _ours(sys.modules[n]):
            saved[n] = sys.modules.pop(n)
    sys.path.insert(0, ODGI)
    try:
        mods = [importlib.import_module(n) for n in names]
    finally:
        sys.path.remove(ODGI)
        for n in list(sys.modules):
            if "." not in n and _ours(sys.modules[n]):
                del sys.modules[n]
        sys.modules.update(saved)
    return mods if len(mods) > 1 else mods[0]
