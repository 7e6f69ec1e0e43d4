"""Type hints of the extension module (crates/py); use the wrappers in ``counterpulse``."""

from typing import Any, Dict, List, Mapping, Optional, Union

__version__: str

class ArrowTable:
    """One record batch, exported through ``__arrow_c_stream__`` (polars, pyarrow import it)."""

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> List[str]: ...
    @property
    def units(self) -> Dict[str, str]: ...
    def __len__(self) -> int: ...

def simulate(
    preset: Optional[str] = None,
    scenario: Optional[str] = None,
    set: Optional[Mapping[str, Union[bool, int, float, str]]] = None,
    beats: bool = True,
    waveforms: bool = True,
    events: bool = True,
) -> Dict[str, Any]: ...
def sweep(
    spec: Optional[str] = None,
    toml: Optional[str] = None,
    out: Optional[str] = None,
    threads: Optional[int] = None,
    resume: bool = False,
    force: bool = False,
) -> Dict[str, Any]: ...
def params(preset: str = "healthy") -> ArrowTable: ...
def presets() -> ArrowTable: ...
