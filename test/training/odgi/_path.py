"""training/odgi modules, imported in isolation (see ..isolated_import)."""
from ..isolated_import import loader

load = loader("odgi")
