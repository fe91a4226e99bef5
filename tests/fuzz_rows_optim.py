"""Bad-call rows for the optimizers (area "optim") and the learning-rate schedulers (area
"scheduler"): hyperparameters out of range, bad parameter lists and groups, state dicts that
do not match, schedules with bad arguments."""

from fuzztable import Bad

O = "optim"
S = "scheduler"


def _p(lib, n=1):
    """``n`` fresh parameters of 2 elements (ones, 2 * ones, ...)."""
    return [lib.nn.Parameter(lib.ones(2) * (i + 1)) for i in range(n)]


def _opt(lib, name="SGD", **kw):
    kw.setdefault("lr", 0.1)
    return getattr(lib.optim, name)(_p(lib), **kw)


def _stepped(lib, name, **kw):
    """One step of optimizer ``name`` on loss = sum(p^2) from p = [1, 1]; the new p."""
    p = lib.nn.Parameter(lib.ones(2))
    opt = getattr(lib.optim, name)([p], **kw)
    (p * p).sum().backward()
    opt.step()
    return p.detach()


def _group_sizes_sd(lib):
    a = lib.optim.SGD(_p(lib, 2), lr=0.1)
    return a.state_dict()


def _sched(lib, cls, *args, **kw):
    return getattr(lib.optim.lr_scheduler, cls)(_opt(lib), *args, **kw)


def _lrs(lib, cls, steps, *args, **kw):
    """The rates of ``cls`` over ``steps`` epochs (each after an optimizer step)."""
    opt = _opt(lib)
    s = getattr(lib.optim.lr_scheduler, cls)(opt, *args, **kw)
    out = []
    for _ in range(steps):
        opt.step()
        s.step()
        out.append(round(s.get_last_lr()[0], 10))
    return out


ALL = ("SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "RMSprop")

ROWS = []
for _name in ALL:
    ROWS += [
        Bad(
            f"{_name} lr=-1",
            O,
            lambda lib, n=_name: _opt(lib, n, lr=-1.0),
            (_name, "learning rate", "-1"),
        ),
        Bad(f"{_name} lr='a'", O, lambda lib, n=_name: _opt(lib, n, lr="a"), (_name, "lr", "str")),
        Bad(
            f"{_name} weight_decay=-0.1",
            O,
            lambda lib, n=_name: _opt(lib, n, weight_decay=-0.1),
            (_name, "weight_decay", "-0.1"),
        ),
        Bad(
            f"{_name} empty params",
            O,
            lambda lib, n=_name: getattr(lib.optim, n)([], lr=0.1),
            (_name, "empty parameter list"),
        ),
        Bad(
            f"{_name} params a Tensor",
            O,
            lambda lib, n=_name: getattr(lib.optim, n)(_p(lib)[0], lr=0.1),
            (_name, "iterable", "Tensor"),
        ),
        Bad(
            f"{_name} params of floats",
            O,
            lambda lib, n=_name: getattr(lib.optim, n)([1.0, 2.0], lr=0.1),
            (_name, "Tensors", "float"),
        ),
    ]

ROWS += [
    # SGD
    Bad("SGD momentum=-0.5", O, lambda lib: _opt(lib, momentum=-0.5), ("SGD", "momentum", "-0.5")),
    Bad(
        "SGD nesterov without momentum",
        O,
        lambda lib: _opt(lib, nesterov=True),
        ("SGD", "Nesterov", "momentum"),
    ),
    Bad(
        "SGD nesterov with dampening",
        O,
        lambda lib: _opt(lib, momentum=0.9, dampening=0.1, nesterov=True),
        ("SGD", "Nesterov", "dampening"),
    ),
    Bad("SGD momentum='x'", O, lambda lib: _opt(lib, momentum="x"), ("SGD", "momentum", "str")),
    Bad("SGD lr=0 step", O, lambda lib: _stepped(lib, "SGD", lr=0.0)),
    Bad(
        "SGD dampening 1 step",
        O,
        lambda lib: _stepped(lib, "SGD", lr=0.1, momentum=0.9, dampening=1.0),
    ),
    Bad(
        "SGD negative dampening step",
        O,
        lambda lib: _stepped(lib, "SGD", lr=0.1, momentum=0.9, dampening=-1.0),
    ),
    Bad("SGD momentum=1.5 step", O, lambda lib: _stepped(lib, "SGD", lr=0.1, momentum=1.5)),
    # Adam / AdamW
    Bad(
        "Adam beta1=1.0",
        O,
        lambda lib: _opt(lib, "Adam", betas=(1.0, 0.999)),
        ("Adam", "beta", "index 0", "1.0"),
    ),
    Bad(
        "Adam beta2=1.5",
        O,
        lambda lib: _opt(lib, "Adam", betas=(0.9, 1.5)),
        ("Adam", "beta", "index 1", "1.5"),
    ),
    Bad(
        "Adam beta1=-0.1",
        O,
        lambda lib: _opt(lib, "Adam", betas=(-0.1, 0.999)),
        ("Adam", "beta", "index 0", "-0.1"),
    ),
    Bad(
        "Adam eps=-1e-8", O, lambda lib: _opt(lib, "Adam", eps=-1e-8), ("Adam", "epsilon", "-1e-08")
    ),
    Bad(
        "AdamW beta2=1.0",
        O,
        lambda lib: _opt(lib, "AdamW", betas=(0.9, 1.0)),
        ("AdamW", "beta", "index 1", "1.0"),
    ),
    Bad("AdamW eps=-1", O, lambda lib: _opt(lib, "AdamW", eps=-1.0), ("AdamW", "epsilon", "-1")),
    Bad(
        "Adam betas str",
        O,
        lambda lib: _opt(lib, "Adam", betas=("a", 0.9)),
        ("Adam", "beta", "str"),
    ),
    Bad("Adam betas zero step", O, lambda lib: _stepped(lib, "Adam", lr=0.1, betas=(0.0, 0.0))),
    Bad("Adam eps=0 step", O, lambda lib: _stepped(lib, "Adam", lr=0.1, eps=0.0)),
    # Adagrad / Adadelta / RMSprop
    Bad(
        "Adagrad lr_decay=-1",
        O,
        lambda lib: _opt(lib, "Adagrad", lr_decay=-1.0),
        ("Adagrad", "lr_decay", "-1"),
    ),
    Bad(
        "Adagrad initial_accumulator_value=-1",
        O,
        lambda lib: _opt(lib, "Adagrad", initial_accumulator_value=-1.0),
        ("Adagrad", "initial_accumulator_value", "-1"),
    ),
    Bad(
        "Adagrad eps=-1",
        O,
        lambda lib: _opt(lib, "Adagrad", eps=-1.0),
        ("Adagrad", "epsilon", "-1"),
    ),
    Bad(
        "Adadelta rho=1.5",
        O,
        lambda lib: _opt(lib, "Adadelta", rho=1.5),
        ("Adadelta", "rho", "1.5"),
    ),
    Bad(
        "Adadelta rho=-0.1",
        O,
        lambda lib: _opt(lib, "Adadelta", rho=-0.1),
        ("Adadelta", "rho", "-0.1"),
    ),
    Bad(
        "Adadelta eps=-1",
        O,
        lambda lib: _opt(lib, "Adadelta", eps=-1.0),
        ("Adadelta", "epsilon", "-1"),
    ),
    Bad(
        "RMSprop alpha=-0.5",
        O,
        lambda lib: _opt(lib, "RMSprop", alpha=-0.5),
        ("RMSprop", "alpha", "-0.5"),
    ),
    Bad(
        "RMSprop momentum=-1",
        O,
        lambda lib: _opt(lib, "RMSprop", momentum=-1.0),
        ("RMSprop", "momentum", "-1"),
    ),
    Bad(
        "RMSprop eps=-1",
        O,
        lambda lib: _opt(lib, "RMSprop", eps=-1.0),
        ("RMSprop", "epsilon", "-1"),
    ),
    Bad("Adadelta rho=1 step", O, lambda lib: _stepped(lib, "Adadelta", rho=1.0)),
    # LBFGS
    Bad(
        "LBFGS two groups",
        O,
        lambda lib: lib.optim.LBFGS([{"params": _p(lib)}, {"params": _p(lib)}]),
        ("LBFGS", "per-parameter options"),
    ),
    Bad(
        "LBFGS step without closure",
        O,
        lambda lib: lib.optim.LBFGS(_p(lib)).step(),
        ("LBFGS", "closure"),
    ),
    Bad(
        "LBFGS lr=-1",
        O,
        lambda lib: lib.optim.LBFGS(_p(lib), lr=-1.0),
        ("LBFGS", "learning rate", "-1"),
    ),
    # parameter lists and groups
    Bad(
        "params with a non-leaf",
        O,
        lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True) * 2], lr=0.1),
        ("SGD", "non-leaf"),
    ),
    Bad("params a set of one (torch lists it)", O, lambda lib: lib.optim.SGD(set(_p(lib)), lr=0.1)),
    Bad(
        "params of None",
        O,
        lambda lib: lib.optim.SGD([None], lr=0.1),
        ("SGD", "Tensors", "NoneType"),
    ),
    Bad("params an int", O, lambda lib: lib.optim.SGD(3, lr=0.1), ("SGD", "int")),
    Bad(
        "duplicate params (warns)",
        O,
        lambda lib: (lambda p: len(lib.optim.SGD([p, p], lr=0.1).param_groups[0]["params"]))(
            _p(lib)[0]
        ),
    ),
    Bad(
        "group dict without params",
        O,
        lambda lib: lib.optim.SGD([{"lr": 0.1}], lr=0.1),
        ("SGD", "params"),
    ),
    Bad(
        "group params mixed with dicts",
        O,
        lambda lib: lib.optim.SGD([{"params": _p(lib)}, _p(lib)[0]], lr=0.1),
        ("SGD", "dict"),
    ),
    Bad(
        "add_param_group overlap",
        O,
        lambda lib: (lambda p: lib.optim.SGD([p], lr=0.1).add_param_group({"params": [p]}))(
            _p(lib)[0]
        ),
        ("SGD", "more than one parameter group"),
    ),
    Bad(
        "add_param_group not a dict",
        O,
        lambda lib: _opt(lib).add_param_group(_p(lib)),
        ("add_param_group", "dict", "list"),
    ),
    Bad(
        "add_param_group no params key",
        O,
        lambda lib: _opt(lib).add_param_group({"lr": 0.1}),
        ("add_param_group", "params"),
    ),
    Bad(
        "add_param_group inherits defaults",
        O,
        lambda lib: (
            lambda o: (o.add_param_group({"params": _p(lib)}), o.param_groups[1]["lr"])[1]
        )(_opt(lib, lr=0.25)),
    ),
    # state dicts
    Bad(
        "load_state_dict group count",
        O,
        lambda lib: lib.optim.SGD(
            [{"params": _p(lib)}, {"params": _p(lib)}], lr=0.1
        ).load_state_dict(_opt(lib).state_dict()),
        ("SGD", "number of parameter groups"),
    ),
    Bad(
        "load_state_dict group size",
        O,
        lambda lib: _opt(lib).load_state_dict(_group_sizes_sd(lib)),
        ("SGD", "size", "group"),
    ),
    Bad(
        "optimizer load_state_dict not a dict",
        O,
        lambda lib: _opt(lib).load_state_dict([1, 2]),
        ("SGD", "state_dict", "list"),
    ),
    Bad(
        "load_state_dict missing param_groups",
        O,
        lambda lib: _opt(lib).load_state_dict({"state": {}}),
        ("SGD", "param_groups"),
    ),
    # schedulers: the optimizer
    Bad(
        "StepLR on a non-optimizer",
        S,
        lambda lib: lib.optim.lr_scheduler.StepLR(3, 2),
        ("StepLR", "int", "Optimizer"),
    ),
    Bad(
        "ExponentialLR on a module",
        S,
        lambda lib: lib.optim.lr_scheduler.ExponentialLR(lib.nn.Linear(2, 2), 0.5),
        ("ExponentialLR", "Linear", "Optimizer"),
    ),
    Bad(
        "ReduceLROnPlateau on a non-optimizer",
        S,
        lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau("opt"),
        ("ReduceLROnPlateau", "str", "Optimizer"),
    ),
    Bad(
        "StepLR last_epoch=3 without initial_lr",
        S,
        lambda lib: _sched(lib, "StepLR", 2, last_epoch=3),
        ("StepLR", "initial_lr", "param_groups[0]"),
    ),
    # StepLR / MultiStepLR / ExponentialLR / CosineAnnealingLR
    Bad(
        "StepLR step_size=0", S, lambda lib: _lrs(lib, "StepLR", 3, 0), ("StepLR", "step_size", "0")
    ),
    Bad(
        "StepLR step_size=-1",
        S,
        lambda lib: _lrs(lib, "StepLR", 3, -1),
    ),
    Bad(
        "StepLR step_size=1.5",
        S,
        lambda lib: _lrs(lib, "StepLR", 4, 1.5),
    ),
    Bad(
        "StepLR gamma str",
        S,
        lambda lib: _lrs(lib, "StepLR", 3, 1, gamma="a"),
        ("StepLR", "gamma", "str"),
    ),
    Bad("StepLR gamma=-1 values", S, lambda lib: _lrs(lib, "StepLR", 4, 1, gamma=-1.0)),
    Bad(
        "MultiStepLR milestones int",
        S,
        lambda lib: _sched(lib, "MultiStepLR", 5),
        ("MultiStepLR", "milestones", "int"),
    ),
    Bad(
        "MultiStepLR unsorted milestones",
        S,
        lambda lib: _lrs(lib, "MultiStepLR", 5, [3, 1], gamma=0.5),
    ),
    Bad(
        "MultiStepLR repeated milestones",
        S,
        lambda lib: _lrs(lib, "MultiStepLR", 4, [2, 2], gamma=0.5),
    ),
    Bad(
        "MultiStepLR milestones of str",
        S,
        lambda lib: _lrs(lib, "MultiStepLR", 2, ["a"]),
    ),
    Bad(
        "ExponentialLR gamma str",
        S,
        lambda lib: _lrs(lib, "ExponentialLR", 2, "x"),
        ("ExponentialLR", "gamma", "str"),
    ),
    Bad("ExponentialLR gamma=1.5 values", S, lambda lib: _lrs(lib, "ExponentialLR", 3, 1.5)),
    Bad(
        "CosineAnnealingLR T_max=0",
        S,
        lambda lib: _lrs(lib, "CosineAnnealingLR", 3, 0),
        ("CosineAnnealingLR", "T_max", "0"),
    ),
    Bad(
        "CosineAnnealingLR T_max=-2",
        S,
        lambda lib: _lrs(lib, "CosineAnnealingLR", 3, -2),
    ),
    Bad(
        "CosineAnnealingLR T_max=1.5",
        S,
        lambda lib: _lrs(lib, "CosineAnnealingLR", 3, 1.5),
    ),
    Bad(
        "CosineAnnealingLR eta_min above lr",
        S,
        lambda lib: _lrs(lib, "CosineAnnealingLR", 3, 4, eta_min=0.5),
    ),
    # LambdaLR / LinearLR / SequentialLR
    Bad(
        "LambdaLR too many lambdas",
        S,
        lambda lib: _sched(lib, "LambdaLR", [lambda e: 1, lambda e: 2]),
        ("LambdaLR", "1", "2", "lr_lambdas"),
    ),
    Bad(
        "LambdaLR not callable",
        S,
        lambda lib: _sched(lib, "LambdaLR", 3),
        ("LambdaLR", "lr_lambda", "int"),
    ),
    Bad(
        "LinearLR start_factor=0",
        S,
        lambda lib: _sched(lib, "LinearLR", start_factor=0.0),
        ("LinearLR", "start_factor", "0.0"),
    ),
    Bad(
        "LinearLR start_factor=1.5",
        S,
        lambda lib: _sched(lib, "LinearLR", start_factor=1.5),
        ("LinearLR", "start_factor", "1.5"),
    ),
    Bad(
        "LinearLR end_factor=2",
        S,
        lambda lib: _sched(lib, "LinearLR", end_factor=2.0),
        ("LinearLR", "end_factor", "2.0"),
    ),
    Bad(
        "LinearLR end_factor=-1",
        S,
        lambda lib: _sched(lib, "LinearLR", end_factor=-1.0),
        ("LinearLR", "end_factor", "-1.0"),
    ),
    Bad(
        "LinearLR total_iters=0",
        S,
        lambda lib: _lrs(lib, "LinearLR", 3, total_iters=0),
    ),
    Bad(
        "SequentialLR milestones count",
        S,
        lambda lib: (
            lambda o: lib.optim.lr_scheduler.SequentialLR(
                o,
                [lib.optim.lr_scheduler.StepLR(o, 1), lib.optim.lr_scheduler.StepLR(o, 1)],
                milestones=[1, 2],
            )
        )(_opt(lib)),
        ("SequentialLR", "milestone", "2"),
    ),
    Bad(
        "SequentialLR no schedulers",
        S,
        lambda lib: lib.optim.lr_scheduler.SequentialLR(_opt(lib), [], milestones=[]),
        ("SequentialLR", "at least one scheduler"),
    ),
    Bad(
        "SequentialLR other optimizer",
        S,
        lambda lib: lib.optim.lr_scheduler.SequentialLR(
            _opt(lib), [lib.optim.lr_scheduler.StepLR(_opt(lib), 1)], milestones=[]
        ),
        ("SequentialLR", "same optimizer"),
    ),
    Bad(
        "SequentialLR non-scheduler",
        S,
        lambda lib: lib.optim.lr_scheduler.SequentialLR(_opt(lib), [3], milestones=[]),
        ("SequentialLR", "index 0", "optimizer"),
    ),
    # ReduceLROnPlateau
    Bad(
        "ReduceLROnPlateau mode avg",
        S,
        lambda lib: _sched(lib, "ReduceLROnPlateau", mode="avg"),
        ("ReduceLROnPlateau", "mode", "avg"),
    ),
    Bad(
        "ReduceLROnPlateau threshold_mode x",
        S,
        lambda lib: _sched(lib, "ReduceLROnPlateau", threshold_mode="x"),
        ("ReduceLROnPlateau", "threshold mode", "x"),
    ),
    Bad(
        "ReduceLROnPlateau factor=1.0",
        S,
        lambda lib: _sched(lib, "ReduceLROnPlateau", factor=1.0),
        ("ReduceLROnPlateau", "Factor", "1.0"),
    ),
    Bad(
        "ReduceLROnPlateau factor=2",
        S,
        lambda lib: _sched(lib, "ReduceLROnPlateau", factor=2.0),
        ("ReduceLROnPlateau", "Factor", "2.0"),
    ),
    Bad(
        "ReduceLROnPlateau min_lr list length",
        S,
        lambda lib: _sched(lib, "ReduceLROnPlateau", min_lr=[0.1, 0.2]),
        ("ReduceLROnPlateau", "min_lrs", "1", "2"),
    ),
    Bad(
        "ReduceLROnPlateau metric str",
        S,
        lambda lib: _sched(lib, "ReduceLROnPlateau").step("a"),
        ("ReduceLROnPlateau", "metrics", "a"),
    ),
]
