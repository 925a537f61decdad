"""NumPy layer: the linear VAE losses (eqs. 4, 5), the optimal D (Lemma 3), Monte-Carlo of (9)."""
from ._descent import TrackingResult, descent_tracks_flow, gradient_descent
from ._experiments import DEFAULT_CASES, PROPERTY_FLOW, FlowCase, flow_cases, property_flow
from ._bounds import BoundCheck, check_decay, largest_rate, minmax_gap, tail_singular_mass
from ._instances import Instance, low_rank_data, random_instance, random_orthogonal, zero_rows
from ._flow import METHODS, PARAMETERIZATIONS, FlowResult, StopReason, column_space_projector, gradient_flow, vector_field
from ._objective import L1Objective, LObjective, Objective, objective, objective_for
from ._training import MODES, LogVarianceVAE, TrainConfig, TrainResult, pad_columns, train, train_group
from ._losses import LinearProblem, loss_L, loss_L1, monte_carlo_loss, monte_carlo_loss_3, optimal_D, reconstruction_error
from ._nonlinear_vae import Dataset, NonlinearConfig, NonlinearRun, evaluate_nonlinear, train_nonlinear

__all__ = [
    "Dataset",
    "NonlinearConfig",
    "NonlinearRun",
    "evaluate_nonlinear",
    "train_nonlinear",
    "MODES",
    "LogVarianceVAE",
    "TrainConfig",
    "TrainResult",
    "pad_columns",
    "train",
    "train_group",
    "TrackingResult",
    "descent_tracks_flow",
    "gradient_descent",
    "DEFAULT_CASES",
    "FlowCase",
    "flow_cases",
    "PROPERTY_FLOW",
    "property_flow",
    "BoundCheck",
    "Instance",
    "check_decay",
    "largest_rate",
    "low_rank_data",
    "minmax_gap",
    "random_instance",
    "random_orthogonal",
    "tail_singular_mass",
    "zero_rows",
    "METHODS",
    "PARAMETERIZATIONS",
    "FlowResult",
    "StopReason",
    "column_space_projector",
    "gradient_flow",
    "vector_field",
    "L1Objective",
    "LObjective",
    "Objective",
    "objective",
    "objective_for",
    "LinearProblem",
    "loss_L",
    "loss_L1",
    "monte_carlo_loss",
    "monte_carlo_loss_3",
    "optimal_D",
    "reconstruction_error",
]
