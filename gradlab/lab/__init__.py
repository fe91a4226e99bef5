"""The lab: each claim of the sources as an experiment with numbers, figures and a verdict."""

from .experiment import (
    CAVEATS,
    FAILS,
    HOLDS,
    VERDICTS,
    Check,
    Criterion,
    Experiment,
    Figure,
    Measurement,
    Result,
    Revision,
    Verdict,
    new_figure,
    perturb,
    png,
)
from .experiments import all_experiments
from .report import ReportError, load_report, update_report, write_report
from .runner import (
    ERROR,
    LabResult,
    SeedCheck,
    UnknownExperimentError,
    check_seeds,
    get_experiment,
    run_experiments,
)
