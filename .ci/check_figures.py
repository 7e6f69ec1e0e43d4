#!/usr/bin/env python3
"""Checks figures as a journal's production office would, from the files alone.

For every figure stem under the given folders (FILE.svg with FILE.pdf and/or FILE.png beside it):
  * SVG: width/height in inches; no text below 6 pt at that width; no stroke below 0.5 pt;
  * PDF: a PDF whose page has the SVG's size (72 pt per inch), fonts embedded (FontFile2);
  * PNG: 300 dpi recorded (pHYs), pixel size = inches x 300.
Exits 1 naming every figure that fails.
"""
import re
import struct
import sys
from pathlib import Path


def svg_checks(path: Path):
    text = path.read_text()
    m = re.search(r'<svg width="([0-9.]+)in" height="([0-9.]+)in" viewBox="0 0 ([0-9.]+) ([0-9.]+)"', text)
    if not m:
        return [f"{path}: no size in inches with a viewBox"], None
    w_in, h_in, vw, _ = map(float, m.groups())
    pt_per_unit = w_in * 72.0 / vw
    errs = []
    sizes = [float(s) * pt_per_unit for s in re.findall(r'font-size="([0-9.]+)"', text)]
    if sizes and min(sizes) < 6.0 - 1e-6:
        errs.append(f"{path}: text at {min(sizes):.2f} pt (< 6 pt)")
    strokes = [float(s) * pt_per_unit for s in re.findall(r'stroke-width="([0-9.]+)"', text)]
    strokes = [s for s in strokes if s > 0]
    # An element with a stroke but no stroke-width is drawn at SVG's default of 1 unit.
    for el in re.findall(r"<[a-z]+\b[^>]*>", text):
        if re.search(r'\sstroke="(?!none)[^"]+"', el) and "stroke-width" not in el:
            strokes.append(1.0 * pt_per_unit)
    if strokes and min(strokes) < 0.5 - 1e-6:
        errs.append(f"{path}: line of {min(strokes):.2f} pt (< 0.5 pt)")
    return errs, (w_in, h_in)


def pdf_checks(path: Path, size_in) -> list[str]:
    b = path.read_bytes()
    errs = []
    if not b.startswith(b"%PDF-"):
        return [f"{path}: not a PDF"]
    if b"/FontFile2" not in b:
        errs.append(f"{path}: no embedded TrueType font")
    m = re.search(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", b)
    if not m:
        errs.append(f"{path}: no MediaBox")
    else:
        w, h = float(m.group(1)), float(m.group(2))
        if abs(w - size_in[0] * 72) > 0.1 or abs(h - size_in[1] * 72) > 0.1:
            errs.append(f"{path}: page {w} x {h} pt, SVG says {size_in[0]} x {size_in[1]} in")
    return errs


def png_checks(path: Path, size_in) -> list[str]:
    b = path.read_bytes()
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        return [f"{path}: not a PNG"]
    w, h = struct.unpack(">II", b[16:24])
    errs = []
    i = b.find(b"pHYs")
    if i < 0 or struct.unpack(">I", b[i + 4:i + 8])[0] != 11811:
        errs.append(f"{path}: 300 dpi not recorded")
    if (w, h) != (round(size_in[0] * 300), round(size_in[1] * 300)):
        errs.append(f"{path}: {w} x {h} px for {size_in} in at 300 dpi")
    return errs


def main(folders: list[str]) -> int:
    errs, n = [], 0
    for folder in folders:
        for svg in sorted(Path(folder).rglob("*.svg")):
            n += 1
            e, size = svg_checks(svg)
            errs += e
            if size is None:
                continue
            if svg.with_suffix(".pdf").exists():
                errs += pdf_checks(svg.with_suffix(".pdf"), size)
            if svg.with_suffix(".png").exists():
                errs += png_checks(svg.with_suffix(".png"), size)
    for e in errs:
        print(e)
    print(f"{n} figures checked, {len(errs)} problems")
    return 1 if errs or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
