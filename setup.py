"""The native build of dglgene: the CMake-built modules (the metadata is in pyproject.toml).

``dglgene._C`` (C++17, OpenMP) is always built; ``dglgene._C_cuda`` is built when nvcc
is found. ``DGLGENE_CUDA=0`` / ``1`` forces the CUDA build off / on (``auto`` default).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent.resolve()
CUDA_SWITCH = {"0": "OFF", "off": "OFF", "1": "ON", "on": "ON", "auto": "AUTO", "": "AUTO"}


class CMakeExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        switch = os.environ.get("DGLGENE_CUDA", "auto").strip().lower()
        if switch not in CUDA_SWITCH:
            raise SystemExit(f"DGLGENE_CUDA={switch!r} is not one of 0, 1, auto")
        out_dir = Path(self.get_ext_fullpath(ext.name)).parent.resolve()
        build_dir = Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        # Prefer the cmake installed beside this interpreter (the pinned one in .venv).
        cmake = shutil.which("cmake", path=str(Path(sys.executable).parent)) or "cmake"
        configure = [
            cmake, str(ROOT),
            f"-DCMAKE_LIBRARY_OUTPUT_DIRECTORY={out_dir}",
            f"-DPython_EXECUTABLE={sys.executable}",
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DDGLGENE_CUDA={CUDA_SWITCH[switch]}",
        ]
        subprocess.run(configure, cwd=build_dir, check=True)
        jobs = str(os.cpu_count() or 1)
        subprocess.run([cmake, "--build", ".", "--parallel", jobs], cwd=build_dir, check=True)
        if self.inplace or getattr(self, "editable_mode", False):
            self._place_cuda_module(out_dir)

    @staticmethod
    def _place_cuda_module(out_dir: Path) -> None:
        """setuptools copies only declared extensions into the source tree; the optional
        CUDA module is not declared (it exists only when nvcc does), so place it here."""
        package = ROOT / "dglgene"
        if out_dir.resolve() == package.resolve():
            return
        for stale in package.glob("_C_cuda*"):
            stale.unlink()
        for built in out_dir.glob("_C_cuda*"):
            shutil.copy2(built, package / built.name)


setup(ext_modules=[CMakeExtension("dglgene._C")], cmdclass={"build_ext": CMakeBuild})
