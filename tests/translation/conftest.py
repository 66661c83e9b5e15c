import os
import sys

# The translation tests' own helpers (tests/translation/helpers.py), whatever
# directory pytest is started from.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
