//! Pretrained models: the store of imported weights (`labbook models`), the readers of
//! the formats they arrive in, and the model ports that run on them. Every stored model
//! is a folder in Hugging Face's layout (`config.json`, `model.safetensors`,
//! `tokenizer.json`, …) plus labbook's record of where it came from.

pub mod store;
