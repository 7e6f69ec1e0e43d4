//! Assembling a circuit from components: positions in the state vector and the signal
//! workspace are handed out here, never written by hand, and every coupling is checked.
//!
//! A [`CircuitBuilder`] collects, in order:
//!
//! * the heart's activation ([`CircuitBuilder::activation`]) and the inputs that devices outside
//!   the circulation provide ([`CircuitBuilder::input`], e.g. the balloon's gas volume);
//! * signals that a controller will drive ([`CircuitBuilder::driven`]);
//! * nodes ([`CircuitBuilder::node`]), probe nodes that hold no blood of the loop
//!   ([`CircuitBuilder::probe_node`]), the venous reservoir that holds the rest of the blood
//!   volume, and couplings computed from node pressures ([`CircuitBuilder::coupling`]);
//! * links between two nodes ([`CircuitBuilder::link`]);
//! * controllers ([`CircuitBuilder::controller`]).
//!
//! The state layout is declaration order unless [`CircuitBuilder::layout`] gives an order for
//! named states (the reference circuit keeps the layout of earlier versions, so results stay
//! bit-identical: the integrator's error norm sums over the state vector in order). States
//! of a device outside the circulation (the balloon) can be reserved in the vector
//! ([`CircuitBuilder::reserve`]); their owner integrates them.
//!
//! Evaluation follows the same order (see [`Circulation::rhs`]): a component may read a signal
//! only if it is computed before it, which [`CircuitBuilder::build`] checks, so an assembly
//! error is an error message at start-up, not a wrong number.
//!
//! Volume accounting: a link takes its flow out of its upstream node and puts it into its
//! downstream node, so blood volume is conserved by construction; the accumulation follows the
//! order in which links were added. A link between a node of the loop and a probe node counts
//! only on the probe's side (the probe samples the loop's pressure without taking blood).

use std::cell::RefCell;

use counterpulse_params::{ParamError, fmt_num};

use crate::circulation::{Circulation, LinkRun, NodeRun, PressureStep};
use crate::components::{
    ControllerKind, ControllerLaw, HeartActivation, Layout, LinkKind, LinkLaw, NodeKind, NodeLaw,
    Signal, StateRef, StateSpec, TissuePressure,
};

/// A node of an assembled circuit: its pressure signal and its volume state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub(crate) index: usize,
    /// Pressure signal, mmHg.
    pub pressure: Signal,
    /// Its blood volume state.
    pub volume: StateRef,
}

/// A link of an assembled circuit: its flow signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Flow signal (upstream → downstream), mL/s.
    pub flow: Signal,
}

/// What computes a signal, for the order check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// The activation, inputs and controller outputs: available to every node and link.
    Source,
    /// A driven signal whose controller is not attached yet.
    Undriven,
    /// The pressure step with this index.
    Pressure(usize),
    /// The link with this index.
    Link(usize),
}

/// Collects components and their connections; see the module documentation.
#[derive(Debug, Default)]
pub struct CircuitBuilder {
    states: Vec<StateSpec>,
    signals: Vec<String>,
    writers: Vec<Writer>,
    activation: Option<(HeartActivation, Signal, Signal)>,
    inputs: Vec<Signal>,
    nodes: Vec<(String, NodeKind, StateRef, Signal)>,
    node_initial_pressure: Vec<Option<f64>>,
    loop_node: Vec<bool>,
    reservoir: Option<usize>,
    steps: Vec<PressureStep>,
    links: Vec<(String, LinkKind, Vec<StateRef>, Node, Node, Signal)>,
    controllers: Vec<(String, ControllerKind, Vec<StateRef>)>,
    reserved: Vec<(String, Vec<StateRef>)>,
    layout_order: Vec<String>,
    errors: Vec<String>,
}

impl CircuitBuilder {
    /// An empty circuit.
    pub fn new() -> Self {
        Self::default()
    }

    fn signal(&mut self, name: String, writer: Writer) -> Signal {
        if self.signals.contains(&name) {
            self.errors
                .push(format!("signal `{name}` is declared twice"));
        }
        self.signals.push(name);
        self.writers.push(writer);
        Signal(self.signals.len() - 1)
    }

    fn allocate(&mut self, specs: Vec<StateSpec>) -> Vec<StateRef> {
        let mut refs = Vec::new();
        for s in specs {
            if self.states.iter().any(|o| o.name == s.name) {
                self.errors
                    .push(format!("state `{}` is declared twice", s.name));
            }
            refs.push(StateRef(self.states.len()));
            self.states.push(s);
        }
        refs
    }

    /// The heart's activation; returns the ventricular and atrial activation signals.
    pub fn activation(&mut self, heart: HeartActivation) -> (Signal, Signal) {
        let v = self.signal("ventricular_activation".into(), Writer::Source);
        let a = self.signal("atrial_activation".into(), Writer::Source);
        self.activation = Some((heart, v, a));
        (v, a)
    }

    /// A value provided from outside the circulation at every evaluation (a device's state).
    pub fn input(&mut self, name: &str) -> Signal {
        let s = self.signal(name.into(), Writer::Source);
        self.inputs.push(s);
        s
    }

    /// A signal that a controller added later drives (a factor on a component's parameter).
    pub fn driven(&mut self, name: &str) -> Signal {
        self.signal(name.into(), Writer::Undriven)
    }

    fn add_node(
        &mut self,
        name: &str,
        law: NodeKind,
        initial_pressure_mmhg: Option<f64>,
        loop_blood: bool,
    ) -> Node {
        let volume = self.allocate(vec![StateSpec {
            name: format!("{name}_volume_ml"),
            initial: 0.0,
            steady_scale: 10.0,
        }])[0];
        let index = self.nodes.len();
        let pressure = self.signal(
            format!("{name}_pressure_mmhg"),
            Writer::Pressure(self.steps.len()),
        );
        self.steps.push(PressureStep::Node(index));
        self.nodes.push((name.into(), law, volume, pressure));
        self.node_initial_pressure.push(initial_pressure_mmhg);
        self.loop_node.push(loop_blood);
        Node {
            index,
            pressure,
            volume,
        }
    }

    /// A compartment of the loop, starting at `initial_pressure_mmhg`. State
    /// `{name}_volume_ml`, signal `{name}_pressure_mmhg`.
    pub fn node(
        &mut self,
        name: &str,
        law: impl Into<NodeKind>,
        initial_pressure_mmhg: f64,
    ) -> Node {
        self.add_node(name, law.into(), Some(initial_pressure_mmhg), true)
    }

    /// The compartment of the loop that starts with the rest of the blood volume (the systemic
    /// veins): the others start at their initial pressures.
    pub fn reservoir(&mut self, name: &str, law: impl Into<NodeKind>) -> Node {
        let n = self.add_node(name, law.into(), None, true);
        if self.reservoir.replace(n.index).is_some() {
            self.errors.push("two reservoirs declared".into());
        }
        n
    }

    /// A measurement probe: a compartment fed by the loop's pressures that holds none of its
    /// blood (e.g. a maximally vasodilated replica of a bed, for FFR).
    pub fn probe_node(
        &mut self,
        name: &str,
        law: impl Into<NodeKind>,
        initial_pressure_mmhg: f64,
    ) -> Node {
        self.add_node(name, law.into(), Some(initial_pressure_mmhg), false)
    }

    /// A signal computed from node pressures (after the nodes it reads).
    pub fn coupling(&mut self, name: &str, law: TissuePressure) -> Signal {
        let out = self.signal(name.into(), Writer::Pressure(self.steps.len()));
        self.steps.push(PressureStep::Coupling { law, out: out.0 });
        out
    }

    /// A flow path from `up` to `down`, with its states named from `name`. Signal
    /// `{name}_flow_ml_s`.
    pub fn link(&mut self, name: &str, up: Node, down: Node, law: impl Into<LinkKind>) -> Link {
        let law = law.into();
        let own = self.allocate(law.states(name));
        let index = self.links.len();
        let flow = self.signal(format!("{name}_flow_ml_s"), Writer::Link(index));
        self.links.push((name.into(), law, own, up, down, flow));
        Link { flow }
    }

    /// States of a device outside the circulation (named `names`), kept in this state vector
    /// as one contiguous block; the device's owner integrates them and reads them back through
    /// [`Circulation::reserved`].
    pub fn reserve(&mut self, name: &str, names: &[&str]) {
        let refs = self.allocate(
            names
                .iter()
                .map(|n| StateSpec {
                    name: (*n).into(),
                    initial: 0.0,
                    steady_scale: 10.0,
                })
                .collect(),
        );
        self.reserved.push((name.into(), refs));
    }

    /// Fixes the positions of the named states: first those listed, in this order, then the
    /// others in declaration order. Names not declared are skipped.
    pub fn layout(&mut self, order: &[&str]) {
        self.layout_order = order.iter().map(|s| s.to_string()).collect();
    }

    /// A controller; it must drive signals declared with [`CircuitBuilder::driven`].
    pub fn controller(&mut self, name: &str, law: impl Into<ControllerKind>) {
        let law = law.into();
        let own = self.allocate(law.states(name));
        for d in law.drives() {
            match self.writers.get(d.0) {
                Some(Writer::Undriven) => self.writers[d.0] = Writer::Source,
                _ => self.errors.push(format!(
                    "controller `{name}` drives `{}`, which is not a free driven signal",
                    self.signals.get(d.0).map_or("?", String::as_str)
                )),
            }
        }
        self.controllers.push((name.into(), law, own));
    }

    /// Gives a signal another name (to keep a published column name).
    pub fn rename(&mut self, signal: Signal, name: &str) {
        if self.signals.iter().any(|s| s == name) {
            self.errors
                .push(format!("signal `{name}` is declared twice"));
        }
        self.signals[signal.0] = name.into();
    }

    /// Checks that each component reads only signals computed before it.
    fn check_order(&mut self) {
        let name = |s: &Signal, signals: &[String]| signals.get(s.0).cloned().unwrap_or_default();
        let mut problems = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let (reads, who) = match step {
                PressureStep::Node(n) => (self.nodes[*n].1.reads(), &self.nodes[*n].0),
                PressureStep::Coupling { law, out } => {
                    (vec![law.chamber_pressure], &self.signals[*out])
                }
            };
            for r in reads {
                let ok = match self.writers.get(r.0) {
                    Some(Writer::Source) => true,
                    Some(Writer::Pressure(j)) => *j < i,
                    _ => false,
                };
                if !ok {
                    problems.push(format!(
                        "`{who}` reads `{}` before it is computed",
                        name(&r, &self.signals)
                    ));
                }
            }
        }
        for (name_l, l, ..) in &self.links {
            for r in l.reads() {
                if !matches!(
                    self.writers.get(r.0),
                    Some(Writer::Source | Writer::Pressure(_))
                ) {
                    problems.push(format!(
                        "link `{name_l}` reads `{}`, which no node, coupling or controller computes",
                        name(&r, &self.signals)
                    ));
                }
            }
        }
        for (i, w) in self.writers.iter().enumerate() {
            if *w == Writer::Undriven {
                problems.push(format!("no controller drives `{}`", self.signals[i]));
            }
        }
        for (name_c, c, _) in &self.controllers {
            for r in c.senses() {
                if r.0 >= self.signals.len() {
                    problems.push(format!("controller `{name_c}` senses an unknown signal"));
                }
            }
        }
        self.errors.extend(problems);
    }

    /// The state layout: listed names first, in order, then the rest in declaration order.
    fn fix_layout(&self) -> Layout {
        let n = self.states.len();
        let mut order: Vec<usize> = self
            .layout_order
            .iter()
            .filter_map(|name| self.states.iter().position(|s| &s.name == name))
            .collect();
        for i in 0..n {
            if !order.contains(&i) {
                order.push(i);
            }
        }
        let mut positions = vec![0; n];
        for (pos, decl) in order.iter().enumerate() {
            positions[*decl] = pos;
        }
        Layout { positions }
    }

    /// The circuit, with `total_blood_ml` of blood: every node at its initial pressure and the
    /// reservoir holding the rest. Fails on an assembly error or a blood volume too small for
    /// the reservoir to keep half its unstressed volume.
    pub fn build(mut self, total_blood_ml: f64) -> Result<Circulation, ParamError> {
        self.check_order();
        let Some((activation, act_v, act_a)) = self.activation.take() else {
            return Err(assembly_error("no activation declared".into()));
        };
        let Some(reservoir) = self.reservoir else {
            return Err(assembly_error("no reservoir declared".into()));
        };
        let layout = self.fix_layout();
        let mut reserved = Vec::new();
        for (name, refs) in &self.reserved {
            let pos: Vec<usize> = refs.iter().map(|r| layout.position(*r)).collect();
            let contiguous = pos.windows(2).all(|w| w[1] == w[0] + 1);
            match (pos.first(), contiguous) {
                (Some(first), true) => reserved.push((name.clone(), *first..*first + pos.len())),
                _ => self.errors.push(format!(
                    "the states reserved for `{name}` are not contiguous"
                )),
            }
        }
        // A link whose flow is a state has a flow signal of the same name and value; any
        // other clash of names is an error.
        let mut exported = Vec::new();
        for (i, name) in self.signals.iter().enumerate() {
            match (self.states.iter().any(|s| &s.name == name), self.writers[i]) {
                (false, _) => exported.push(i),
                (true, Writer::Link(_)) => {}
                (true, _) => self
                    .errors
                    .push(format!("`{name}` names both a state and a signal")),
            }
        }
        if !self.errors.is_empty() {
            return Err(assembly_error(self.errors.join("; ")));
        }
        let mut states = self.states.clone();
        for (decl, spec) in self.states.iter().enumerate() {
            states[layout.positions[decl]] = spec.clone();
        }
        let mut initial: Vec<f64> = states.iter().map(|s| s.initial).collect();
        let nodes: Vec<NodeRun> = self
            .nodes
            .iter()
            .map(|(_, law, volume, pressure)| NodeRun {
                law: law.clone(),
                volume: layout.position(*volume),
                pressure: pressure.0,
            })
            .collect();
        for (n, p) in nodes.iter().zip(&self.node_initial_pressure) {
            if let Some(p) = p {
                initial[n.volume] = n.law.volume_at(*p);
            }
        }
        let loop_volumes: Vec<usize> = nodes
            .iter()
            .zip(&self.loop_node)
            .filter(|(_, l)| **l)
            .map(|(n, _)| n.volume)
            .collect();
        let others: f64 = loop_volumes.iter().map(|i| initial[*i]).sum();
        let res_name = &self.nodes[reservoir].0;
        let res = &nodes[reservoir];
        let rest = total_blood_ml - others;
        let v_min = res.law.volume_at(0.0) * 0.5;
        if rest < v_min {
            return Err(ParamError::Inconsistent {
                message: format!(
                    "`blood.total_volume_ml` = {} is too small: the other compartments need {} mL at \
                     typical pressures and the {} at least {} mL (half of its unstressed volume {})",
                    fmt_num(total_blood_ml),
                    fmt_num(others.round()),
                    res_name.replace('_', " "),
                    fmt_num(v_min.round()),
                    fmt_num(res.law.volume_at(0.0))
                ),
            });
        }
        initial[res.volume] = rest;
        let position = |refs: &[StateRef]| -> Vec<usize> {
            refs.iter().map(|r| layout.position(*r)).collect()
        };
        let mut links = Vec::new();
        for (_, law, own, up, down, flow) in &self.links {
            let mut law = law.clone();
            law.bind(&position(own), &layout);
            let (up_loop, down_loop) = (self.loop_node[up.index], self.loop_node[down.index]);
            let probe_link = up_loop != down_loop;
            links.push(LinkRun {
                law,
                up: up.pressure.0,
                down: down.pressure.0,
                flow: flow.0,
                take_from: (!probe_link || !up_loop).then_some(nodes[up.index].volume),
                give_to: (!probe_link || !down_loop).then_some(nodes[down.index].volume),
            });
        }
        let mut controllers = Vec::new();
        for (_, law, own) in &self.controllers {
            let mut law = law.clone();
            law.bind(&position(own));
            controllers.push(law);
        }
        let node_volumes = nodes.iter().map(|n| n.volume).collect();
        let node_names = self.nodes.iter().map(|n| n.0.clone()).collect();
        let link_names = self.links.iter().map(|l| l.0.clone()).collect();
        let n_signals = self.signals.len();
        Ok(Circulation {
            activation,
            activation_signals: (act_v.0, act_a.0),
            inputs: self.inputs.iter().map(|s| s.0).collect(),
            controllers,
            nodes,
            node_names,
            steps: self.steps,
            links,
            link_names,
            node_volumes,
            loop_volumes,
            reserved,
            states,
            initial,
            signal_names: self.signals,
            exported_signals: exported,
            workspace: RefCell::new(vec![0.0; n_signals]),
            scratch: RefCell::new(Vec::new()),
        })
    }
}

fn assembly_error(message: String) -> ParamError {
    ParamError::Inconsistent {
        message: format!("circuit assembly: {message}"),
    }
}
