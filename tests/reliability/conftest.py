import os
import sys

# tests/_util.py is shared by every test folder.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
