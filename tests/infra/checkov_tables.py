"""Writes the parse tables of checkov's JSONPath parser once, into .venv-checkov (run by `make`).

bc-jsonpath-ng asks PLY for a parser on every path it parses, with `write_tables=0`: PLY finds no
table module and builds the LALR tables again each time, about half of checkov's CPU on our
templates. PLY reads a table module first when one is there and its grammar's signature matches,
so the tables written here are used as they are, and ignored (rebuilt as before) if the grammar
ever changes. Same findings either way; only the time differs.
"""

from __future__ import annotations

import os

import ply.yacc
from bc_jsonpath_ng import parser as base
from bc_jsonpath_ng.ext import parser as ext

# the names bc_jsonpath_ng.parser.JsonPathParser.parse_token_stream gives PLY
TABLE_MODULE = "parser_jsonpath_parsetab"
START = "jsonpath"


def main() -> None:
    for parser_class, module in ((base.JsonPathParser, base), (ext.ExtentedJsonPathParser, ext)):
        ply.yacc.yacc(
            module=parser_class(),
            tabmodule=TABLE_MODULE,
            outputdir=os.path.dirname(module.__file__),
            start=START,
            write_tables=True,
            debug=False,
        )


if __name__ == "__main__":
    main()
