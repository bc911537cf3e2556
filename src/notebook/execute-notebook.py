#!/usr/bin/env python3
"""Executes one notebook headless with nbclient (the engine of `jupyter nbconvert --to notebook --execute`).

Usage: execute-notebook.py INPUT OUTPUT [--kernel tslab] [--budget SECONDS]

Runs the cells in order in INPUT's folder and stops at the first failing cell. Writes the executed notebook
(up to and including the failing cell) to OUTPUT, never to INPUT. Prints one JSON line on stdout:
  {"ok": bool, "cells": int, "executed": int, "failed_cell": int|null, "error": str|null, "seconds": float}
Budget: the whole notebook must finish within --budget seconds (each cell's timeout is what is left of it).
Exit status 0 when ok, 1 when a cell failed or the budget ran out, 2 on usage or setup errors.
"""
import argparse
import json
import os
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--budget", type=float, default=120.0)
    args = ap.parse_args()

    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    except ImportError as err:
        print(json.dumps({"ok": False, "error": f"{err}: run `bash scripts/setup-system.sh`"}))
        return 2

    started = time.monotonic()
    nb = nbformat.read(args.input, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=int(args.budget),
        allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.input))}},
    )
    result = {"ok": True, "cells": len(code_cells), "executed": 0, "failed_cell": None, "error": None}
    try:
        with client.setup_kernel():
            for index in code_cells:
                left = args.budget - (time.monotonic() - started)
                if left <= 0:
                    raise CellTimeoutError(f"notebook budget of {args.budget:.0f} s spent before cell {index}")
                client.timeout = max(1, int(left))
                try:
                    client.execute_cell(nb.cells[index], index)
                except BaseException:
                    result["failed_cell"] = index
                    raise
                result["executed"] += 1
    except CellExecutionError:
        result.update(ok=False, error=f"cell {result['failed_cell']} failed")
    except CellTimeoutError as err:
        result.update(ok=False, error=f"over the {args.budget:.0f} s budget: {str(err).splitlines()[0]}")
    except DeadKernelError as err:
        result.update(ok=False, error=f"the kernel died: {err}")
    except Exception as err:  # kernel failed to start, protocol errors, ...
        result.update(ok=False, error=f"{type(err).__name__}: {err}")
    finally:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        nbformat.write(nb, args.output)
    result["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
