pub mod interview;
