//! Presets: TOML documents shipped with the crate. `healthy` sets every circulation key; the
//! others name it as `base` and override what differs, each value with its source.

use counterpulse_params::{ParamError, Value, flatten_toml};

/// A preset as shipped: name and TOML text.
#[derive(Debug, Clone, Copy)]
pub struct PresetSource {
    /// Name used on the command line (`--preset NAME`).
    pub name: &'static str,
    /// The TOML document.
    pub text: &'static str,
}

/// Every shipped preset, `healthy` first.
pub const PRESETS: &[PresetSource] = &[
    PresetSource {
        name: "healthy",
        text: include_str!("../presets/healthy.toml"),
    },
    PresetSource {
        name: "cardiogenic-shock",
        text: include_str!("../presets/cardiogenic-shock.toml"),
    },
    PresetSource {
        name: "cardiogenic-shock-nonischaemic",
        text: include_str!("../presets/cardiogenic-shock-nonischaemic.toml"),
    },
    PresetSource {
        name: "pre-shock",
        text: include_str!("../presets/pre-shock.toml"),
    },
    PresetSource {
        name: "rv-infarct",
        text: include_str!("../presets/rv-infarct.toml"),
    },
    PresetSource {
        name: "acute-mr",
        text: include_str!("../presets/acute-mr.toml"),
    },
    PresetSource {
        name: "post-mi-vsd",
        text: include_str!("../presets/post-mi-vsd.toml"),
    },
    PresetSource {
        name: "aortic-regurgitation",
        text: include_str!("../presets/aortic-regurgitation.toml"),
    },
    PresetSource {
        name: "va-ecmo",
        text: include_str!("../presets/va-ecmo.toml"),
    },
];

/// The `[preset]` table of a preset document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PresetMeta {
    /// Preset this one starts from.
    pub base: Option<String>,
    /// One-line description.
    pub description: String,
    /// What the values were calibrated to (targets and their sources).
    pub calibrated_to: String,
}

/// A parsed preset or scenario document: its metadata table (if any) and its parameter values
/// as `(dotted.key, value)` in document order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Metadata table (`[preset]` or `[scenario]`), as key/value pairs.
    pub meta: toml::Table,
    /// Parameter values.
    pub values: Vec<(String, Value)>,
    /// Top-level arrays of tables (`[[protocol]]`), left to the caller.
    pub arrays: toml::Table,
}

/// Parses a TOML document; `meta_table` names the table that holds metadata rather than
/// parameters (`"preset"` or `"scenario"`). `origin` names the document in errors.
pub fn parse_document(text: &str, meta_table: &str, origin: &str) -> Result<Document, ParamError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ParamError::Document {
            message: format!("{origin}: not valid TOML: {}", e.to_string().trim()),
        })?;
    let mut doc = Document::default();
    for (k, v) in &table {
        if k == meta_table {
            match v {
                toml::Value::Table(t) => doc.meta = t.clone(),
                _ => {
                    return Err(ParamError::Document {
                        message: format!("{origin}: `{meta_table}` must be a table"),
                    });
                }
            }
            continue;
        }
        match v {
            toml::Value::Table(t) => flatten_toml(k, t, &mut doc.values)?,
            toml::Value::Array(a) if a.iter().all(|x| x.is_table()) => {
                doc.arrays.insert(k.clone(), v.clone());
            }
            _ => {
                return Err(ParamError::Document {
                    message: format!(
                        "{origin}: top-level key `{k}` is not a parameter group; keys look like `[heart]` then `rate_bpm = 72`"
                    ),
                });
            }
        }
    }
    Ok(doc)
}

/// The text of a shipped preset.
pub fn preset_source(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|p| p.name == name).map(|p| p.text)
}

/// Names of all shipped presets.
pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

/// Reads the `[preset]` table of a shipped preset.
pub fn preset_meta(name: &str) -> Result<PresetMeta, ParamError> {
    let text = preset_source(name).ok_or_else(|| unknown_preset(name))?;
    let doc = parse_document(text, "preset", &format!("preset `{name}`"))?;
    let s = |k: &str| doc.meta.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Ok(PresetMeta {
        base: s("base"),
        description: s("description").unwrap_or_default(),
        calibrated_to: s("calibrated_to").unwrap_or_default(),
    })
}

/// The error for a preset name that does not exist.
pub fn unknown_preset(name: &str) -> ParamError {
    ParamError::WrongType {
        key: "preset".into(),
        value: name.into(),
        expected: format!("one of {}", preset_names().join(", ")),
    }
}

/// The chain of documents to apply for `name`, base first (`healthy`, ..., `name`).
pub fn preset_chain(name: &str) -> Result<Vec<Document>, ParamError> {
    let mut chain = Vec::new();
    let mut current = Some(name.to_string());
    while let Some(n) = current {
        if chain.len() > 8 {
            return Err(ParamError::Document {
                message: format!("preset `{name}`: `base` chain longer than 8 (a cycle?)"),
            });
        }
        let text = preset_source(&n).ok_or_else(|| unknown_preset(&n))?;
        let doc = parse_document(text, "preset", &format!("preset `{n}`"))?;
        current = doc
            .meta
            .get("base")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        chain.push(doc);
    }
    chain.reverse();
    Ok(chain)
}
