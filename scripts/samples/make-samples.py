"""Rebuilds the start screen's samples that do not come from npm (run once, locally).

    /usr/bin/python3 scripts/samples/make-samples.py

- aerial-car-park.jpg: FlightGear's overhead car-park texture (a real aerial
  photograph with several hundred parked cars), from Debian's
  flightgear-data-base, upscaled x3 (Lanczos) to about 15 cm per pixel, the
  ground sample distance the shipped detector was trained for.
- mariachi-band.jpg: a CC0 group photo, the same file as the faces test
  fixture test/fixtures/faces/mariachi-mexico.jpg (see its SOURCES.md).

Credits and licences are in assets/samples/samples.json. The package is
fetched with `apt-get download` and only the one texture is unpacked.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile

from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "assets", "samples")
DEB = "flightgear-data-base=1:2020.3.16+dfsg-1"
TEXTURE = "./usr/share/games/flightgear/Textures/Terrain/carpark.png"


def car_park() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", DEB], cwd=tmp, check=True)
        deb = next(f for f in os.listdir(tmp) if f.endswith(".deb"))
        tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], cwd=tmp, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", TEXTURE], cwd=tmp, input=tar, check=True)
        src = os.path.join(tmp, TEXTURE)
        print("carpark.png sha256", hashlib.sha256(open(src, "rb").read()).hexdigest())
        image = Image.open(src).convert("RGB")
        image.resize((image.width * 3, image.height * 3), Image.LANCZOS).save(os.path.join(OUT, "aerial-car-park.jpg"), quality=85, optimize=True)


def group_photo() -> None:
    shutil.copyfile(os.path.join(REPO, "test", "fixtures", "faces", "mariachi-mexico.jpg"), os.path.join(OUT, "mariachi-band.jpg"))


if __name__ == "__main__":
    car_park()
    group_photo()
