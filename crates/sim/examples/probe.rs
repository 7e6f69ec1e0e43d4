use counterpulse_sim::{RunOptions, Scenario, run};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut s = Scenario::from_preset(&args[1]).unwrap();
    for a in &args[2..] {
        s.set_cli(a).unwrap();
    }
    let r = run(
        &s,
        &RunOptions {
            record_all_beats: false,
            waveforms: false,
            log_events: true,
        },
    )
    .unwrap();
    println!(
        "converged {} beats {} res {:.2e} wall {:.3}s steps/beat {:.0} evals/beat {:.0} rej {}",
        r.converged,
        r.beats_to_steady_state,
        r.final_residual,
        r.wall_time_s,
        r.stats.accepted_steps as f64 / r.beats_simulated as f64,
        r.stats.rhs_evals as f64 / r.beats_simulated as f64,
        r.stats.rejected_steps
    );
    for (k, v) in r.summary.values() {
        if let Some(v) = v {
            println!("{k:45} {v:.3}");
        }
    }
    println!(
        "blood {:.6} -> {:.6}",
        r.blood_volume_start_ml, r.blood_volume_end_ml
    );
    let n = r.events.len();
    for e in &r.events[n.saturating_sub(8)..] {
        println!("{:.4} {} {}", e.time_s, e.kind.name(), e.beat);
    }
}
