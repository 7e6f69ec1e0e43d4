use thiserror::Error;

/// Why an integration could not continue.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum SolveError {
    /// The step size fell below the round-off limit at time `t_s`.
    #[error(
        "step size underflow at t = {t_s:.6} s (the model is probably discontinuous or stiff there)"
    )]
    StepSizeUnderflow {
        /// Simulated time of the failure, s.
        t_s: f64,
    },
    /// More steps than `max_steps` in one call to `advance`.
    #[error("more than {max_steps} steps in one integration segment ending at t = {t_s:.6} s")]
    TooManySteps {
        /// The limit that was hit.
        max_steps: u64,
        /// Simulated time reached, s.
        t_s: f64,
    },
    /// The right-hand side produced NaN or infinity.
    #[error("the state became non-finite at t = {t_s:.6} s (component {component})")]
    NonFinite {
        /// Simulated time of the failure, s.
        t_s: f64,
        /// Index of the first non-finite state component.
        component: usize,
    },
    /// The `ode_solvers` backend reported an error.
    #[error("ode_solvers: {message}")]
    Backend {
        /// The backend's own message.
        message: String,
    },
    /// A request the integrator cannot honour (for example `t_end` before the current time).
    #[error("invalid integration request: {message}")]
    InvalidRequest {
        /// What was wrong.
        message: String,
    },
}
