"""Type stubs of the extension module `spoor._spoor` (PyO3). The package `spoor` wraps it:
prefer `spoor.extract`, `spoor.GoodwareIndex`, ... which return dicts, not JSON text."""

from os import PathLike
from typing import List, Optional, Sequence, Tuple, Union

_Path = Union[str, PathLike[str]]

__version__: str

class SpoorError(Exception):
    code: str

class InputError(SpoorError): ...
class GoodwareIndexError(SpoorError): ...
class RulesError(SpoorError): ...

def extract(
    data: bytes,
    name: str = "-",
    types: Optional[Sequence[str]] = None,
    max_sightings: int = 10,
    allowlist: bool = True,
    show_allowlisted: bool = False,
    public_only: bool = False,
    utf16: bool = True,
    structured: bool = True,
    context: bool = True,
    defang: bool = False,
) -> str: ...
def extract_files(
    paths: Sequence[_Path],
    types: Optional[Sequence[str]] = None,
    max_sightings: int = 10,
    allowlist: bool = True,
    show_allowlisted: bool = False,
    public_only: bool = False,
    utf16: bool = True,
    structured: bool = True,
    context: bool = True,
    defang: bool = False,
    threads: int = 0,
) -> str: ...
def extract_rows(
    rows: Sequence[Optional[str]],
    order: Sequence[int],
    types: Optional[Sequence[str]] = None,
    allowlist: bool = True,
    public_only: bool = False,
) -> Tuple[List[str], List[str], List[int], List[int]]: ...
def triage_bytes(data: bytes, name: str = "-", min_string_len: Optional[int] = None) -> str: ...
def triage_file(path: _Path, min_string_len: Optional[int] = None, max_size: int = ...) -> str: ...
def events(paths: Sequence[_Path]) -> str: ...
def rules(
    samples: Sequence[_Path],
    family: Optional[str] = None,
    goodware: Optional[str] = "-",
    date: Optional[str] = None,
    author: str = "spoor",
    reference: str = "-",
    template: Optional[str] = None,
) -> str: ...
def test(
    sources: Sequence[Tuple[str, str]],
    paths: Sequence[_Path],
    malicious: Sequence[_Path],
    benign: Sequence[_Path],
    threads: int = 0,
    timeout: int = 60,
    max_size: int = ...,
    timing: bool = False,
) -> str: ...
def analyze(
    samples: Sequence[_Path],
    logs: Sequence[_Path] = ...,
    types: Optional[Sequence[str]] = None,
    benign: Sequence[_Path] = ...,
    labels: Optional[_Path] = None,
    goodware: Optional[str] = None,
    date: Optional[str] = None,
    rules: Optional[bool] = None,
    threads: int = 0,
) -> str: ...
def ioc_types() -> List[str]: ...
def sniff(data: bytes) -> str: ...

class GoodwareIndex:
    @staticmethod
    def open(path: _Path) -> GoodwareIndex: ...
    @staticmethod
    def build_with_warnings(
        paths: Sequence[_Path],
        output: _Path,
        date: Optional[str] = None,
        min_packages: int = 1,
        max_file_size: int = ...,
        base: Optional[GoodwareIndex] = None,
    ) -> Tuple[GoodwareIndex, str]: ...
    @staticmethod
    def merge_with_warnings(parts: Sequence[_Path], output: _Path, date: Optional[str] = None) -> Tuple[GoodwareIndex, str]: ...
    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...
    def meta_json(self) -> str: ...
    def string_count(self, text: str) -> int: ...
    def containing_counts(self, needles: Sequence[str]) -> List[int]: ...
    def imphash_count(self, imphash: str) -> int: ...
    def export_count(self, name: str) -> int: ...
    def has_file(self, sha256: str) -> bool: ...

class Rules:
    @staticmethod
    def compile(sources: Sequence[Tuple[str, str]], paths: Sequence[_Path] = ...) -> Rules: ...
    def names(self) -> List[str]: ...
    def warnings(self) -> List[str]: ...
    def scan_many(self, items: Sequence[Optional[bytes]], timeout: int = 60) -> List[Tuple[List[str], Optional[str]]]: ...

class IndexBuilder:
    def __init__(self) -> None: ...
    def add_many(self, items: Sequence[Optional[bytes]]) -> int: ...
    def counts(self) -> Tuple[int, int]: ...
    def write(self, label: str, date: Optional[str] = None) -> Optional[bytes]: ...
