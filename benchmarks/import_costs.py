"""Where a process's start-up instructions go: each module's own import, each dataclass built, each regular
expression compiled. Run a script under callgrind through ``run``, then read the dumps with ``sum``:

    valgrind --tool=callgrind --dump-instr=no --callgrind-out-file=/tmp/ic/cg.out \\
        python benchmarks/import_costs.py run benchmarks/instructions.py catalog
    python benchmarks/import_costs.py sum /tmp/ic/cg.out

``run`` dumps callgrind's counts (a client request, through a helper ``cc`` compiles against
``valgrind/callgrind.h``) where each module's code starts and ends, and around each dataclass
(``dataclasses._process_class``) and each regular expression compiled (``re._compile``, not found in its cache);
``sum`` gives each its own instructions (what ran while it was the innermost), largest first: ``<startup>`` (the
interpreter and this wrapper's set-up, before the script), ``<main work>`` (the script's own work between
imports), ``<exit>`` (the interpreter's finalization) and the rest by name. Numbers are instructions of one
process; the wrapping adds a little to each. The measurement behind the per-module paragraphs of
docs/development.md ("Against the pre-architecture baseline").
"""

from __future__ import annotations

import collections
import ctypes
import importlib.abc
import importlib.machinery
import re
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

_HELPER = """
#include <valgrind/callgrind.h>
void dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""


def _dumper() -> Any:
    directory = Path(tempfile.mkdtemp())
    (directory / "dump.c").write_text(_HELPER)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(directory / "dump.so"), str(directory / "dump.c")], check=True)
    library = ctypes.CDLL(str(directory / "dump.so"))
    library.dump.argtypes = [ctypes.c_char_p]
    return library.dump


def run(script: list[str]) -> None:
    dump = _dumper()

    class Loader(importlib.abc.Loader):
        def __init__(self, inner: Any, name: str) -> None:
            self.inner, self.name = inner, name

        def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
            return self.inner.create_module(spec)

        def exec_module(self, module: ModuleType) -> None:
            dump(f"enter:{self.name}".encode())
            try:
                self.inner.exec_module(module)
            finally:
                dump(f"exit:{self.name}".encode())

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    class Finder(importlib.abc.MetaPathFinder):
        busy = False

        def find_spec(self, name: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
            if self.busy:
                return None
            self.busy = True
            try:
                spec = next((s for f in sys.meta_path if f is not self and hasattr(f, "find_spec")
                             for s in [f.find_spec(name, path, target)] if s is not None), None)  # fmt: skip
            finally:
                self.busy = False
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = Loader(spec.loader, name)
            return spec

    def around(label: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        dump(f"enter:{label}".encode())
        try:
            return call(*args, **kwargs)
        finally:
            dump(f"exit:{label}".encode())

    import dataclasses

    process_class = dataclasses._process_class  # type: ignore[attr-defined]
    dataclasses._process_class = lambda cls, *a, **k: around(  # type: ignore[attr-defined]
        f"dc:{cls.__module__}.{cls.__qualname__}", process_class, cls, *a, **k
    )
    compile_ = re._compile  # type: ignore[attr-defined]

    def compiled(pattern: Any, flags: Any) -> Any:
        key = (type(pattern), pattern, flags.value if isinstance(flags, re.RegexFlag) else flags)
        if isinstance(pattern, re.Pattern) or key in re._cache:  # type: ignore[attr-defined]
            return compile_(pattern, flags)
        frame = sys._getframe(1)
        while frame is not None and (frame.f_globals.get("__name__") == "re" or frame.f_code.co_filename == __file__):
            frame = frame.f_back  # type: ignore[assignment]
        return around(f"re:{frame.f_globals.get('__name__') if frame else '?'}", compile_, pattern, flags)

    re._compile = compiled  # type: ignore[attr-defined]
    sys.meta_path.insert(0, Finder())
    dump(b"start")
    sys.argv = script
    sys.path.insert(0, str(Path(script[0]).resolve().parent))
    runpy.run_path(script[0], run_name="__main__")
    dump(b"end")


def summarize(out: Path) -> None:
    def number(path: Path) -> int:
        return int(path.name.rsplit(".", 1)[1])

    stack, own = ["<startup>"], collections.Counter[str]()
    # The parts dumped, in order, then the last one (written at exit under the name itself).
    for path in [*sorted(out.parent.glob(out.name + ".*"), key=number), out]:
        text = path.read_text()
        trigger = re.search(r"^desc: Trigger: (?:Client Request: )?(.*)$", text, re.MULTILINE)
        total = re.search(r"^(?:totals|summary): (\d+)", text, re.MULTILINE)
        if trigger is None or total is None:
            continue
        own[stack[-1]] += int(total.group(1))
        event = trigger.group(1).strip()
        if event.startswith("enter:"):
            stack.append(event[6:])
        elif event.startswith("exit:"):
            stack.pop()
        elif event == "start":
            stack[0] = "<main work>"
        elif event == "end":
            stack[0] = "<exit>"
    for name, count in own.most_common():
        print(f"{count / 1e6:10.2f} M  {name}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        run(sys.argv[2:])
    elif sys.argv[1:2] == ["sum"]:
        summarize(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
