"""Imports training/faces modules without leaving them in sys.modules.

training/faces uses flat module names (model, train, data, ...) that other
training folders also use; the test runner loads every test module in one
interpreter, so we import ours in isolation and restore sys.modules after.
"""
import importlib
import os
import sys

FACES = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "training", "faces"))


def _ours(mod):
    f = getattr(mod, "__file__", None) or ""
    return bool(f) and os.path.dirname(os.path.abspath(f)) == FACES


def load(*names):
    saved = {}
    for n in list(sys.modules):
        if "." not in n and os.path.exists(os.path.join(FACES, n + ".py")) and not _ours(sys.modules[n]):
            saved[n] = sys.modules.pop(n)
    sys.path.insert(0, FACES)
    try:
        mods = [importlib.import_module(n) for n in names]
    finally:
        sys.path.remove(FACES)
        for n in list(sys.modules):
            if "." not in n and _ours(sys.modules[n]):
                del sys.modules[n]
        sys.modules.update(saved)
    return mods if len(mods) > 1 else mods[0]
