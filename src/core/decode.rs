//! The one error every raw-to-typed conversion returns, and the UTF-16 text
//! helpers the vocabulary shares.
//!
//! Raw numbers and strings arrive from a peer (a handler, a host, the COM
//! edge). Strict decoding never guesses: an unknown enum value, an unknown
//! mask bit, text that is not valid UTF-16 or does not fit its fixed-size
//! buffer is a [`DecodeError`] naming the type, the field and the value.

/// A raw value that does not decode into this crate's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A number that is not one of the enumeration's values.
    #[error("{value:#x} is not a valid {type_name}")]
    UnknownValue {
        /// The Windows name of the enumeration, e.g. `SYNCMGRSTATUS`.
        type_name: &'static str,
        /// The value that arrived.
        value: u32,
    },
    /// Bits outside the mask of the flag set.
    #[error("{type_name} {value:#x} has unknown bits {unknown:#x} (valid mask {valid_mask:#x})")]
    UnknownBits {
        /// The Windows name of the flag set, e.g. `SYNCMGRITEMFLAGS`.
        type_name: &'static str,
        /// The whole value that arrived.
        value: u32,
        /// The bits that are not defined.
        unknown: u32,
        /// Every defined bit.
        valid_mask: u32,
    },
    /// A text that does not fit its fixed-size `WCHAR` buffer.
    #[error(
        "{field} is {units} UTF-16 units plus NUL, over the limit of {limit} including the NUL"
    )]
    TextTooLong {
        /// The field, e.g. `SYNCMGRITEM.wszItemName`.
        field: &'static str,
        /// UTF-16 units without the terminating NUL.
        units: usize,
        /// The limit in UTF-16 units, including the terminating NUL.
        limit: usize,
    },
    /// A text with a NUL inside it (the C side would see it truncated).
    #[error("{field} contains a NUL at UTF-16 unit {position}")]
    InteriorNul {
        /// The field.
        field: &'static str,
        /// Index of the first NUL.
        position: usize,
    },
    /// A text that is not valid UTF-16 (an unpaired surrogate).
    #[error("{field} is not valid UTF-16: unpaired surrogate {unit:#06x} at unit {position}")]
    InvalidUtf16 {
        /// The field.
        field: &'static str,
        /// The unpaired surrogate.
        unit: u16,
        /// Its index.
        position: usize,
    },
    /// A fixed-size `WCHAR` buffer with no terminating NUL.
    #[error("{field} has no terminating NUL within its {limit} UTF-16 units")]
    Unterminated {
        /// The field.
        field: &'static str,
        /// The buffer length in UTF-16 units.
        limit: usize,
    },
    /// A text that must not be empty is.
    #[error("{field} is empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A field whose presence bit is set but whose pointer or value is missing.
    #[error("{field} is flagged present by the mask but is missing")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field that must be non-negative, or within a range, is not.
    #[error("{field} is {value}, outside {expected}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value that arrived.
        value: i64,
        /// The accepted range, in words, e.g. `0..=i32::MAX`.
        expected: &'static str,
    },
}

/// Decode UTF-16 `units` (no terminating NUL expected) into a `String`.
///
/// # Errors
///
/// [`DecodeError::InteriorNul`] if a NUL occurs, and
/// [`DecodeError::InvalidUtf16`] at the first unpaired surrogate.
pub fn utf16_to_string(field: &'static str, units: &[u16]) -> Result<String, DecodeError> {
    if let Some(position) = units.iter().position(|&u| u == 0) {
        return Err(DecodeError::InteriorNul { field, position });
    }
    let mut out = String::with_capacity(units.len());
    let mut position = 0;
    for decoded in char::decode_utf16(units.iter().copied()) {
        match decoded {
            Ok(c) => {
                out.push(c);
                position += c.len_utf16();
            }
            Err(e) => {
                return Err(DecodeError::InvalidUtf16 {
                    field,
                    unit: e.unpaired_surrogate(),
                    position,
                });
            }
        }
    }
    Ok(out)
}

/// Decode a fixed-size, NUL-terminated `WCHAR` buffer (such as
/// `SYNCMGRITEM.wszItemName`) into a `String`.
///
/// # Errors
///
/// [`DecodeError::Unterminated`] if no NUL occurs within the buffer, and
/// [`DecodeError::InvalidUtf16`] for an unpaired surrogate before it.
pub fn utf16z_buffer_to_string(field: &'static str, buffer: &[u16]) -> Result<String, DecodeError> {
    let end = buffer
        .iter()
        .position(|&u| u == 0)
        .ok_or(DecodeError::Unterminated {
            field,
            limit: buffer.len(),
        })?;
    utf16_to_string(field, &buffer[..end])
}

/// Check that `text` fits a `WCHAR` buffer of `limit` units including the
/// NUL, and contains no NUL itself.
///
/// # Errors
///
/// [`DecodeError::InteriorNul`] or [`DecodeError::TextTooLong`].
pub fn check_text_limit(field: &'static str, text: &str, limit: usize) -> Result<(), DecodeError> {
    if let Some(byte_index) = text.find('\0') {
        return Err(DecodeError::InteriorNul {
            field,
            position: text[..byte_index].encode_utf16().count(),
        });
    }
    let units = text.encode_utf16().count();
    if units + 1 > limit {
        return Err(DecodeError::TextTooLong {
            field,
            units,
            limit,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_round_trip_and_errors() {
        let units: Vec<u16> = "héllo 😀".encode_utf16().collect();
        assert_eq!(utf16_to_string("f", &units).unwrap(), "héllo 😀");
        assert_eq!(
            utf16_to_string("f", &[0x61, 0xD800, 0x62]),
            Err(DecodeError::InvalidUtf16 {
                field: "f",
                unit: 0xD800,
                position: 1
            })
        );
        assert_eq!(
            utf16_to_string("f", &[0x61, 0]),
            Err(DecodeError::InteriorNul {
                field: "f",
                position: 1
            })
        );
    }

    #[test]
    fn fixed_buffers_need_a_nul() {
        assert_eq!(utf16z_buffer_to_string("f", &[0x61, 0, 0x62]).unwrap(), "a");
        assert_eq!(
            utf16z_buffer_to_string("f", &[0x61, 0x62]),
            Err(DecodeError::Unterminated {
                field: "f",
                limit: 2
            })
        );
    }

    #[test]
    fn limits_count_the_nul() {
        assert!(check_text_limit("f", "abc", 4).is_ok());
        assert_eq!(
            check_text_limit("f", "abcd", 4),
            Err(DecodeError::TextTooLong {
                field: "f",
                units: 4,
                limit: 4
            })
        );
        // A character outside the BMP counts as two units.
        assert!(check_text_limit("f", "😀", 3).is_ok());
        assert!(check_text_limit("f", "😀", 2).is_err());
        assert_eq!(
            check_text_limit("f", "a\0b", 10),
            Err(DecodeError::InteriorNul {
                field: "f",
                position: 1
            })
        );
    }
}
