//! # counterpulse-circulation
//!
//! Closed-loop lumped-parameter (0D) model of the human circulation, in mmHg, mL and s:
//!
//! * four chambers as time-varying elastances with exponential passive curves
//!   ([`components::Chamber`], Smith BW et al., Med Eng Phys 2004;26:131) driven by
//!   double-Hill activation curves ([`components::DoubleHill`], Stergiopulos 1996; Mynard 2012)
//!   whose time constants scale with √RR (Bazett), started by the rhythm's events;
//! * four valves with inertance, Bernoulli losses and opening/closing dynamics
//!   ([`components::Valve`], Mynard JP et al., Int J Numer Method Biomed Eng 2012;28:626), which
//!   give the aortic pressure its dicrotic notch and make regurgitation a parameter;
//! * aortic root/arch and descending thoracic aorta (which can hold a balloon's volume) joined
//!   by resistance and inertance, abdominal/peripheral arteries, upper- and lower-body beds,
//!   systemic veins with an unstressed volume, pulmonary arteries and veins.
//!
//! Parameters are addressed by dotted keys ([`CirculationParams`]); values and their sources are
//! in the preset files ([`presets`]).
#![deny(missing_docs)]

pub mod circuit;
pub mod components;
pub mod model_params;
pub mod params;
pub mod presets;
pub mod reflex;

pub use circuit::{Circulation, Drive, Eval, Inputs, Sig, St, VOLUME_STATES};
pub use model_params::CirculationParams;
pub use params::{ParamError, ParamSpec, Value};
pub use reflex::{Baroreflex, BaroreflexParams, ReflexSt};
