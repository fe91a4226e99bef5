"""The lab: each claim of the seeds as an experiment with numbers, figures and a verdict."""

from .experiment import (
    CAVEATS,
    FAILS,
    HOLDS,
    VERDICTS,
    Experiment,
    Figure,
    Measurement,
    Result,
    Verdict,
    new_figure,
    png,
)
from .experiments import all_experiments
from .report import write_report
from .runner import (
    ERROR,
    LabResult,
    SeedCheck,
    UnknownExperimentError,
    check_seeds,
    get_experiment,
    run_experiments,
)
