use clap::Parser;

fn main() {
    let cli =
        match cargo_perfgate::cli::Cargo::try_parse_from(cargo_perfgate::cli::normalized_args()) {
            Ok(cli) => cli,
            Err(e) => e.exit(),
        };
    let outcome = cargo_perfgate::commands::run(cli);
    std::process::exit(outcome.exit_code());
}
