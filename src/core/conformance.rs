//! What every generation's host shares about conformance: its [`Mode`]
//! (refuse or tolerate a violation) and the [`ConformanceReport`] it
//! renders for people.

use std::fmt;

use crate::Violation;

/// How a session answers a protocol violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Mode {
    /// Refuse the offending call with the fitting error (`E_INVALIDARG`,
    /// `E_UNEXPECTED`, `E_ACCESSDENIED`) and record it.
    #[default]
    Strict,
    /// Record the violation and carry on, as Windows tolerates it.
    Lenient,
}

/// The violations of one session, rendered for people.
///
/// With the `serde` feature it serializes (not deserializes: a
/// [`Violation`] names its call with a `&'static str`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConformanceReport {
    /// The handler's name, if known.
    pub handler_name: Option<String>,
    /// Every violation, in the order recorded.
    pub violations: Vec<Violation>,
}

impl ConformanceReport {
    /// True when no rule was broken.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.handler_name.as_deref().unwrap_or("handler");
        if self.violations.is_empty() {
            return writeln!(f, "{name}: no protocol violations");
        }
        writeln!(f, "{name}: {} protocol violation(s)", self.violations.len())?;
        for violation in &self.violations {
            writeln!(f, "  {violation}")?;
            writeln!(f, "      rule: {}", violation.rule.summary())?;
            writeln!(f, "      see:  {}", violation.rule.spec_url())?;
        }
        Ok(())
    }
}
