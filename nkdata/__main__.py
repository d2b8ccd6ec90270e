"""``python -m nkdata``: the command line where the ``nkdata`` script is not on PATH (a venv not
activated, a notebook's ``!python -m nkdata info``)."""

from nkdata.cli.main import run

if __name__ == "__main__":
    run()
