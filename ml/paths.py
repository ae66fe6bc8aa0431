"""Where the project's own files are (the data directory beside the packages)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
CATALOG_DIR = DATA_DIR / "catalog"
