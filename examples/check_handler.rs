//! Check a SyncMgr handler DLL against the protocol, the way a host would
//! load it: by path and CLSID, without the registry.
//!
//! ```text
//! check_handler <handler.dll> <{CLSID}> [--runs N] [--seed S] [--out DIR]
//! ```
//!
//! Loads the class (`syncmgr::com::load_handler`), runs the test kit's
//! exploration through the COM import (every cancel point, then a seeded
//! random walk; a fresh instance per run), prints what it found, writes the
//! transcripts of the clean run and of the first failure as JSON lines into
//! `DIR` (default: the current directory), and exits 1 when the handler
//! broke a rule, 2 on bad arguments or a class that cannot be loaded.
//! Windows only (`scripts/test-windows.sh` runs it under Wine on the C
//! fixtures and on `examples/handler_dll.rs`).

#[cfg(not(all(windows, feature = "com")))]
fn main() {
    eprintln!("check_handler loads COM handler DLLs: build it for Windows with feature com");
}

#[cfg(all(windows, feature = "com"))]
fn main() {
    std::process::exit(windows_main::run());
}

#[cfg(all(windows, feature = "com"))]
mod windows_main {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use std::time::Duration;

    use syncmgr::com::{ComHandler, Mta, load_handler};
    use syncmgr::testkit::{Budget, Scenario, TestHost, Transcript, explore};
    use syncmgr::{Guid, SyncHandler};

    struct Args {
        dll: PathBuf,
        clsid: Guid,
        budget: Budget,
        out: PathBuf,
    }

    fn parse() -> Result<Args, String> {
        let mut args = std::env::args().skip(1);
        let usage =
            "usage: check_handler <handler.dll> <{CLSID}> [--runs N] [--seed S] [--out DIR]";
        let dll = PathBuf::from(args.next().ok_or(usage)?);
        let clsid = args.next().ok_or(usage)?;
        let clsid: Guid = clsid
            .parse()
            .map_err(|e| format!("{clsid:?} is not a CLSID: {e}"))?;
        let mut budget = Budget {
            runs: 2_000,
            time: Duration::from_secs(120),
            random_runs: 100,
            seed: 1,
        };
        let mut out = PathBuf::from(".");
        while let Some(flag) = args.next() {
            let value = args.next().ok_or(format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("{flag} takes a number, not {value:?}"))
            };
            match flag.as_str() {
                "--runs" => budget.runs = usize::try_from(number()?).unwrap_or(usize::MAX),
                "--seed" => budget.seed = number()?,
                "--out" => out = PathBuf::from(&value),
                _ => return Err(format!("unknown option {flag}; {usage}")),
            }
        }
        Ok(Args {
            dll,
            clsid,
            budget,
            out,
        })
    }

    fn save(transcript: &Transcript, path: &Path) {
        let written = std::fs::File::create(path)
            .and_then(|file| transcript.write_json_lines(std::io::BufWriter::new(file)));
        match written {
            Ok(()) => println!("transcript: {}", path.display()),
            Err(e) => eprintln!("could not write {}: {e}", path.display()),
        }
    }

    pub(super) fn run() -> i32 {
        let args = match parse() {
            Ok(args) => args,
            Err(message) => {
                eprintln!("{message}");
                return 2;
            }
        };
        let _mta = match Mta::enter() {
            Ok(mta) => mta,
            Err(e) => {
                eprintln!("cannot enter COM: {e}");
                return 2;
            }
        };
        let load = || -> Result<Arc<dyn SyncHandler>, String> {
            let handler = load_handler(&args.dll, args.clsid).map_err(|e| e.to_string())?;
            let imported = ComHandler::new(&handler).map_err(|e| e.to_string())?;
            Ok(Arc::new(imported))
        };
        if let Err(e) = load() {
            eprintln!(
                "cannot create {} from {}: {e}",
                args.clsid,
                args.dll.display()
            );
            return 2;
        }
        let make = || load().expect("the class loaded once already");
        let host = TestHost::new().with_completion_timeout(Duration::from_secs(10));

        let clean = host.run(make(), &Scenario::clean());
        println!("clean run: {:?}", clean.outcome);
        print!("{}", clean.report);
        save(&clean.transcript, &args.out.join("clean.transcript.jsonl"));

        let exploration = explore(&host, make, &args.budget);
        let reach = match (&exploration.failure, exploration.exhaustive) {
            (Some(_), _) => "stopped at the first failure",
            (None, true) => "every cancel point",
            (None, false) => "budget spent before every cancel point",
        };
        println!(
            "explored {} runs in {:.1?} ({reach}, seed {})",
            exploration.runs, exploration.elapsed, args.budget.seed
        );
        match exploration.failure {
            None => {
                println!("no rule broken");
                0
            }
            Some(failure) => {
                println!("FAILED: {failure}");
                println!("rule: {}", failure.rule);
                let mut text = Vec::new();
                let _ = failure.transcript.write_text(&mut text);
                print!("{}", String::from_utf8_lossy(&text));
                save(
                    &failure.transcript,
                    &args.out.join("failure.transcript.jsonl"),
                );
                1
            }
        }
    }
}
