/// Illinois (modified regula falsi) search for a root of `g` in `[a, b]` where `g(a)` and
/// `g(b)` have opposite signs (or `g(b) == 0`).
///
/// Returns the right end of the final bracket, so that the returned time is always on the
/// far side of the crossing: restarting there cannot report the same crossing again.
pub(crate) fn illinois(
    mut a: f64,
    mut ga: f64,
    mut b: f64,
    mut gb: f64,
    tol: f64,
    mut g: impl FnMut(f64) -> f64,
) -> f64 {
    if gb == 0.0 {
        return b;
    }
    let mut side = 0i8;
    for _ in 0..200 {
        if (b - a).abs() <= tol {
            break;
        }
        let denom = gb - ga;
        let mut c = if denom != 0.0 {
            (a * gb - b * ga) / denom
        } else {
            0.5 * (a + b)
        };
        // Stay strictly inside the bracket; fall back to bisection when regula falsi stalls.
        if !(c > a.min(b) && c < a.max(b)) {
            c = 0.5 * (a + b);
        }
        let gc = g(c);
        if gc == 0.0 {
            // Exactly on the root: keep the crossing side consistent by returning c.
            return c;
        }
        if (gc < 0.0) == (gb < 0.0) {
            b = c;
            gb = gc;
            if side == 1 {
                ga *= 0.5;
            }
            side = 1;
        } else {
            a = c;
            ga = gc;
            if side == -1 {
                gb *= 0.5;
            }
            side = -1;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::illinois;

    #[test]
    fn finds_cubic_root() {
        let f = |x: f64| x * x * x - 2.0;
        let r = illinois(0.0, f(0.0), 2.0, f(2.0), 1e-12, f);
        assert!((r - 2f64.powf(1.0 / 3.0)).abs() < 1e-11, "{r}");
        assert!(f(r) >= 0.0, "returns the far side of the crossing");
    }
}
