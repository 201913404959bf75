"""``python -m nanlint``: the same as the ``nanlint`` command."""

from nanlint.cli import main

if __name__ == "__main__":
    main()
