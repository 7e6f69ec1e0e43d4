//! # counterpulse-balloon
//!
//! The intra-aortic balloon pump: a helium balloon in the descending thoracic aorta, the gas
//! line of its catheter ([`Balloon`]) and the console that times it ([`Console`]).
//!
//! The balloon's volume is a state of the ODE and adds to the enclosed volume of the
//! descending aorta of the circulation, so inflation raises that segment's pressure and pushes
//! blood towards the aortic root (and coronaries) and downstream. Fill and empty times follow
//! from the gas line (drive pressure, vacuum, resistance) and the aortic pressure.
#![deny(missing_docs)]

pub mod balloon;
pub mod console;
pub mod params;

pub use balloon::{Balloon, BalloonFlows, BalloonSt, Line};
pub use console::{
    Actions, Alarm, Console, ConsoleEvent, ConsoleLog, CycleRecord, NOTCH_VALVE_OPENING,
    TimingMemory,
};
pub use params::{BalloonParams, Ratio, Timing, Trigger};

/// The `iabp` group's defaults document (every key set).
pub const DEFAULTS: &str = include_str!("../defaults.toml");
