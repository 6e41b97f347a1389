//! The (workload, client) cells of a comparison: their repetitions, the progress lines, and
//! the parts of the report every comparison has (ops/s, ratios, targets, problems).

use std::fmt::Write as _;

use super::run::{Measurement, Watchdog};
use super::settings::{Named, Settings};

/// The result of every repetition of one (workload, client).
pub struct Cell<W, C> {
    pub workload: W,
    pub client: C,
    pub runs: Vec<Measurement>,
    pub error: Option<String>,
}

impl<W, C> Cell<W, C> {
    /// The repetition with the median ops/s (the lower middle one for an even count).
    pub fn median(&self) -> Option<&Measurement> {
        if self.error.is_some() {
            return None;
        }
        let mut runs: Vec<&Measurement> = self.runs.iter().collect();
        runs.sort_by(|a, b| a.ops_per_sec().total_cmp(&b.ops_per_sec()));
        runs.get(runs.len().saturating_sub(1) / 2).copied()
    }
}

/// A cell for each client of each workload, in run order.
pub fn cells<W: Copy, C>(workloads: &[W], clients: impl Fn(W) -> Vec<C>) -> Vec<Cell<W, C>> {
    workloads
        .iter()
        .flat_map(|&w| {
            clients(w).into_iter().map(move |c| Cell {
                workload: w,
                client: c,
                runs: Vec::new(),
                error: None,
            })
        })
        .collect()
}

/// Runs every cell `s.reps` times, workload by workload; within a repetition the clients
/// take turns. `run` gets the workload, the client and a fresh run id; `progress` says how a
/// run went (its argument names the run). A cell that failed is not run again.
pub fn run_cells<W: Named + PartialEq, C: Copy>(
    s: &Settings,
    wd: &Watchdog,
    workloads: &[W],
    cells: &mut [Cell<W, C>],
    label: impl Fn(C, W) -> String,
    mut run: impl FnMut(W, C, u32) -> Result<Measurement, String>,
    progress: impl Fn(&str, &Measurement),
) {
    let mut run_id = 0u32;
    for &w in workloads {
        for rep in 1..=s.reps {
            for cell in cells.iter_mut().filter(|c| c.workload == w) {
                if cell.error.is_some() {
                    continue;
                }
                run_id += 1;
                let what = format!("{} / {} (rep {rep})", w.name(), label(cell.client, w));
                wd.arm(s.warmup + s.secs, format!("{what}: starting"));
                let result = run(w, cell.client, run_id);
                wd.disarm();
                match result {
                    Ok(m) => {
                        progress(&what, &m);
                        cell.runs.push(m);
                    }
                    Err(e) => {
                        eprintln!("  {what}: FAILED: {e}");
                        cell.error = Some(e);
                    }
                }
            }
        }
    }
}

/// The progress line of one measurement, to stderr (the table goes to stdout).
pub fn progress(what: &str, m: &Measurement) {
    eprintln!(
        "  {what:<60} {:>9.0} ops/s  p50 {:>8.1} µs  p99 {:>8.1} µs",
        m.ops_per_sec(),
        m.percentile_us(0.50),
        m.percentile_us(0.99)
    );
}

/// Prints `report` to stdout and ends the process with exit code 1 when a cell failed.
pub fn finish<W, C>(report: &str, cells: &[Cell<W, C>]) {
    use std::io::Write as _;
    print!("{report}");
    let _ = std::io::stdout().flush();
    if cells.iter().any(|c| c.error.is_some()) {
        std::process::exit(1);
    }
}

/// `1234567.8` as `1,234,568`.
pub fn fmt_ops(v: f64) -> String {
    let n = v.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The median ops/s of a (workload, client), if it ran and did not fail.
pub fn ops_of<W: PartialEq, C: PartialEq>(cells: &[Cell<W, C>], w: W, c: C) -> Option<f64> {
    cells
        .iter()
        .find(|x| x.workload == w && x.client == c)
        .and_then(Cell::median)
        .map(Measurement::ops_per_sec)
}

/// The ratio column of `cell`'s row (median `m`): on coredis' row its ops/s ÷ `baseline`'s,
/// on the other rows but the baseline's coredis ÷ this row.
pub fn ratio<W: Copy + PartialEq, C: Copy + PartialEq>(
    cells: &[Cell<W, C>],
    cell: &Cell<W, C>,
    m: &Measurement,
    baseline: C,
    coredis: C,
) -> String {
    let w = cell.workload;
    if cell.client == coredis {
        ops_of(cells, w, baseline)
            .map(|b| format!("{:.2}×", m.ops_per_sec() / b))
            .unwrap_or_default()
    } else if cell.client != baseline {
        ops_of(cells, w, coredis)
            .map(|x| format!("({:.2}× vs this)", x / m.ops_per_sec()))
            .unwrap_or_default()
    } else {
        String::new()
    }
}

/// A column added to the table after the CPU column: its heading, and its cell for a
/// workload's row from the row's median run.
pub struct Column<'a, W> {
    pub head: &'a str,
    pub cell: &'a dyn Fn(W, &Measurement) -> String,
}

/// Writes the results: the table of the cells' medians (with a context switches/op column
/// when `s.switches`), the ratios against `baseline(workload)`, the `targets` (see
/// [`write_targets`]) and the problems.
pub fn write_results<W: Named + PartialEq, C: Copy + PartialEq>(
    out: &mut String,
    s: &Settings,
    cells: &[Cell<W, C>],
    baseline: impl Fn(W) -> C,
    coredis: C,
    label: impl Fn(C, W) -> String + Copy,
    targets: &[(W, C, f64)],
) {
    write_results_with(out, s, cells, baseline, coredis, label, targets, &[]);
}

/// [`write_results`] with `columns` added to the table after the CPU column.
#[allow(clippy::too_many_arguments)]
pub fn write_results_with<W: Named + PartialEq, C: Copy + PartialEq>(
    out: &mut String,
    s: &Settings,
    cells: &[Cell<W, C>],
    baseline: impl Fn(W) -> C,
    coredis: C,
    label: impl Fn(C, W) -> String + Copy,
    targets: &[(W, C, f64)],
    columns: &[Column<'_, W>],
) {
    write_table(out, cells, baseline, coredis, label, s.switches, columns);
    write_targets(out, s, cells, targets, coredis, label);
    write_problems(out, cells);
}

/// Writes the table of the cells' medians (then `columns`, then a context switches/op column
/// with `switches`), the ratios against `baseline(workload)`, and what the ratios mean.
fn write_table<W: Named + PartialEq, C: Copy + PartialEq>(
    out: &mut String,
    cells: &[Cell<W, C>],
    baseline: impl Fn(W) -> C,
    coredis: C,
    label: impl Fn(C, W) -> String,
    switches: bool,
    columns: &[Column<'_, W>],
) {
    let mut extra_head = String::new();
    let mut extra_rule = String::new();
    for c in columns {
        extra_head.push_str(&format!(" {} |", c.head));
        extra_rule.push_str("---:|");
    }
    if switches {
        extra_head.push_str(" context switches/op (voluntary) |");
        extra_rule.push_str("---:|");
    }
    let _ = writeln!(
        out,
        "| workload | client | ops/s | p50 µs | p99 µs | client CPU µs/op |{extra_head} ratio |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|{extra_rule}---:|");
    for cell in cells {
        let w = cell.workload;
        let label = label(cell.client, w);
        let Some(m) = cell.median() else {
            let empty = " |".repeat(columns.len() + usize::from(switches));
            let _ = writeln!(out, "| {} | {label} | FAILED | | | |{empty} |", w.name());
            continue;
        };
        // Rows of coredis in another configuration (`shared_connections(4)`) get their own
        // ratio against the baseline, like coredis' main row.
        let ratio = if cell.client != coredis && label.starts_with("coredis") {
            ops_of(cells, w, baseline(w))
                .map(|b| format!("{:.2}×", m.ops_per_sec() / b))
                .unwrap_or_default()
        } else {
            ratio(cells, cell, m, baseline(w), coredis)
        };
        let cpu = m
            .cpu_us_per_op()
            .map_or_else(|| "n/a".to_owned(), |c| format!("{c:.2}"));
        let mut extra = String::new();
        for c in columns {
            extra.push_str(&format!(" {} |", (c.cell)(w, m)));
        }
        if switches {
            extra.push_str(&format!(
                " {:.2} ({:.2}) |",
                m.switches_per_op(),
                m.voluntary_switches_per_op()
            ));
        }
        let _ = writeln!(
            out,
            "| {} | {label} | {} | {:.1} | {:.1} | {cpu} |{extra} {ratio} |",
            w.name(),
            fmt_ops(m.ops_per_sec()),
            m.percentile_us(0.50),
            m.percentile_us(0.99),
        );
    }
    let _ = writeln!(
        out,
        "\nratio: coredis ops/s ÷ the first redis-rs row of the workload (for every coredis \
         row); \"vs this\": coredis' main row ÷ that reference row."
    );
}

/// `ratio` against a target `goal`: "1.23× — **MET**". A ratio just under the goal that two
/// decimals would round up to it is shown with three ("1.998× — **MISSED**"), so the printed
/// figure never contradicts the verdict.
pub fn verdict(ratio: f64, goal: f64) -> String {
    let mark = if ratio >= goal { "MET" } else { "MISSED" };
    if ratio < goal && (ratio * 100.0).round() / 100.0 >= goal {
        format!("{ratio:.3}× — **{mark}**")
    } else {
        format!("{ratio:.2}× — **{mark}**")
    }
}

/// Writes the targets: for each `(workload, baseline, goal)`, whether coredis reached `goal`
/// times the baseline's ops/s.
fn write_targets<W: Named + PartialEq, C: Copy + PartialEq>(
    out: &mut String,
    s: &Settings,
    cells: &[Cell<W, C>],
    targets: &[(W, C, f64)],
    coredis: C,
    label: impl Fn(C, W) -> String,
) {
    let _ = writeln!(out, "\n### Targets\n");
    for &(w, baseline, goal) in targets {
        let verdict = if !s.selects(w) {
            "not run".to_owned()
        } else {
            match (ops_of(cells, w, coredis), ops_of(cells, w, baseline)) {
                (Some(c), Some(b)) => {
                    let smoke = if s.smoke {
                        " (smoke run: not meaningful)"
                    } else {
                        ""
                    };
                    format!("{}{smoke}", verdict(c / b, goal))
                }
                _ => "FAILED (see problems)".to_owned(),
            }
        };
        let _ = writeln!(
            out,
            "- {}: coredis ≥ {goal:.2}× {}: {verdict}",
            w.name(),
            label(baseline, w)
        );
    }
}

/// Writes the errors of the cells that failed, if any.
fn write_problems<W, C>(out: &mut String, cells: &[Cell<W, C>]) {
    let problems: Vec<&Cell<W, C>> = cells.iter().filter(|c| c.error.is_some()).collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n### Problems\n");
        for c in problems {
            let _ = writeln!(out, "- {}", c.error.as_deref().unwrap_or_default());
        }
    }
}
