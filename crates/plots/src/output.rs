//! SVG, PDF and PNG files of a figure: the SVG is drawn, the other two are made from it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use plotters::prelude::*;
use svg2pdf::usvg;

use crate::style::{FONT, FONT_BOLD, UNITS_PER_PT};
use crate::{Figure, FigureOptions, PlotError, draw_err, register_font, size_in};

/// Resolution of the PNG files, dots per inch.
pub const PNG_DPI: f64 = 300.0;

/// A file format of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// Vector PDF, text as text with DejaVu Sans subset and embedded.
    Pdf,
    /// SVG sized in inches.
    Svg,
    /// PNG at 300 dpi (recorded in the file).
    Png,
}

impl Format {
    /// Every format, in the order written.
    pub const ALL: [Format; 3] = [Format::Pdf, Format::Svg, Format::Png];

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }

    /// `pdf`, `svg` or `png` (any case).
    pub fn parse(s: &str) -> Result<Format, PlotError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pdf" => Ok(Format::Pdf),
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            other => Err(PlotError::Options(format!(
                "format {other:?}: expected pdf, svg or png"
            ))),
        }
    }
}

/// Renders the figure as SVG: `width`/`height` in inches, the `viewBox` in tenths of a point,
/// so that every size in it reads as points ×10 at the declared width.
pub fn render_svg(fig: &impl Figure, opts: &FigureOptions) -> Result<String, PlotError> {
    register_font()?;
    let (wi, hi) = size_in(fig, opts);
    let units = |inches: f64| (inches * 72.0 * UNITS_PER_PT).round() as u32;
    let (w, h) = (units(wi), units(hi));
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        fig.draw(&root, opts)?;
        root.present().map_err(draw_err)?;
    }
    let from = format!("width=\"{w}\" height=\"{h}\"");
    let to = format!("width=\"{wi}in\" height=\"{hi}in\"");
    // Name the font the layout was made with, so that viewers that have it use it; fills that
    // touch (heatmap cells, colour bars) without anti-aliased seams between them.
    Ok(s.replacen(&from, &to, 1)
        .replace(
            "font-family=\"sans-serif\"",
            "font-family=\"DejaVu Sans, Bitstream Vera Sans, Verdana, sans-serif\"",
        )
        .replace("<rect ", "<rect shape-rendering=\"crispEdges\" "))
}

/// The SVG parsed with the embedded fonts (no system font is looked up).
fn tree(svg: &str) -> Result<usvg::Tree, PlotError> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        db.load_font_data(FONT_BOLD.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        Arc::new(db)
    });
    let opt = usvg::Options {
        fontdb: fonts.clone(),
        font_family: "DejaVu Sans".into(),
        ..Default::default()
    };
    usvg::Tree::from_str(svg, &opt).map_err(|e| PlotError::Convert(format!("SVG: {e}")))
}

/// A vector PDF of the SVG, page size as declared by the SVG; text stays text, with the used
/// glyphs of DejaVu Sans embedded.
pub fn svg_to_pdf(svg: &str) -> Result<Vec<u8>, PlotError> {
    let t = tree(svg)?;
    // usvg reads inches at 96 px/in; at 96 "dpi" the PDF page keeps the SVG's size in inches.
    let page = svg2pdf::PageOptions { dpi: 96.0 };
    svg2pdf::to_pdf(&t, svg2pdf::ConversionOptions::default(), page)
        .map_err(|e| PlotError::Convert(format!("PDF: {e}")))
}

/// A PNG of the SVG at `dpi`, with the resolution in its `pHYs` chunk.
pub fn svg_to_png(svg: &str, dpi: f64) -> Result<Vec<u8>, PlotError> {
    let t = tree(svg)?;
    let size = t.size();
    // usvg sizes are CSS pixels, 96 per inch.
    let scale = dpi / 96.0;
    let (w, h) = (
        (size.width() as f64 * scale).round() as u32,
        (size.height() as f64 * scale).round() as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| PlotError::Convert(format!("PNG: cannot allocate {w} x {h} pixels")))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &t,
        resvg::tiny_skia::Transform::from_scale(scale as f32, scale as f32),
        &mut pixmap.as_mut(),
    );
    // Opaque (white background): drop alpha.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let png_err = |e: png::EncodingError| PlotError::Convert(format!("PNG: {e}"));
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let ppm = (dpi / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut writer = enc.write_header().map_err(png_err)?;
        writer.write_image_data(&rgb).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
    }
    Ok(out)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let io = |e| PlotError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "figure".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// `STEM.EXT`: the extension appended (a dot in the stem is kept), a known extension in the
/// stem replaced. The file [`render`] writes for `stem` in format `f`: the extension appended (a known one on
/// `stem` replaced), so that callers can check the paths before drawing.
pub fn with_ext(stem: &Path, f: Format) -> PathBuf {
    let known = stem
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| Format::parse(e).is_ok());
    let base = if known {
        stem.with_extension("")
    } else {
        stem.to_path_buf()
    };
    let mut s = base.into_os_string();
    s.push(".");
    s.push(f.extension());
    PathBuf::from(s)
}

/// Writes `STEM.pdf`, `STEM.svg` and/or `STEM.png` (each atomically) and returns their paths.
pub fn render(
    fig: &impl Figure,
    opts: &FigureOptions,
    stem: &Path,
    formats: &[Format],
) -> Result<Vec<PathBuf>, PlotError> {
    let svg = render_svg(fig, opts)?;
    let mut formats = formats.to_vec();
    formats.sort();
    formats.dedup();
    let mut out = Vec::new();
    for f in formats {
        let path = with_ext(stem, f);
        let bytes = match f {
            Format::Svg => svg.clone().into_bytes(),
            Format::Pdf => svg_to_pdf(&svg)?,
            Format::Png => svg_to_png(&svg, PNG_DPI)?,
        };
        write_atomic(&path, &bytes)?;
        out.push(path);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_appended_not_swapped() {
        assert_eq!(
            with_ext(Path::new("out/run.v2"), Format::Pdf),
            PathBuf::from("out/run.v2.pdf")
        );
        assert_eq!(
            with_ext(Path::new("out/fig.png"), Format::Svg),
            PathBuf::from("out/fig.svg")
        );
        assert!(Format::parse("PDF").is_ok() && Format::parse("eps").is_err());
    }
}
