"""Shared fixtures for the knowledge tests."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import knowledge


@pytest.fixture(scope="session")
def kb() -> knowledge.KnowledgeBase:
    return knowledge.load_default()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged data directory, to break in tests."""
    dst = tmp_path / "data"
    shutil.copytree(knowledge.DATA_DIR, dst)
    return dst


