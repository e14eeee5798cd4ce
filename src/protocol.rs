#![doc = include_str!("../PROTOCOL.md")]
