from basesim.cli import entry

entry()
