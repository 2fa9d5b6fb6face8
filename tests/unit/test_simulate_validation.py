"""`tzurot simulate` refuses to build what Discord's client would never send: unknown modal
fields (a wrong name used to submit an empty form that cleared a user's parameters), option
lengths, types, choices and ranges, missing required options."""

from __future__ import annotations

import pytest

from tzurot.cli.main import main
from tzurot.dev import simulator
from tzurot.dev.simulator import SimulateError


def test_a_modal_field_the_form_does_not_have_is_refused_listing_the_valid_ones():
    with pytest.raises(SimulateError) as error:
        simulator.modal_data("config-advanced:lilith", {"advanced": '{"topK": 1}'})
    assert str(error.value) == (
        "Discord would not send this form: the form has no field 'advanced' "
        "(its fields: advanced_parameters)"
    )


def test_modal_lengths_and_required_fields_follow_the_modal():
    with pytest.raises(SimulateError, match=r"api_key needs at least 8 characters"):
        simulator.modal_data("wallet-set:openai", {"api_key": "short"})
    with pytest.raises(SimulateError, match=r"api_key is required"):
        simulator.modal_data("wallet-set:openai", {})
    with pytest.raises(SimulateError, match=r"at most 4000 characters \(got 4001\)"):
        simulator.modal_data("config-advanced:", {"advanced_parameters": "x" * 4001})
    with pytest.raises(SimulateError, match=r"this app opens no modal 'wallet-set:aws'"):
        simulator.modal_data("wallet-set:aws", {"api_key": "12345678"})
    data = simulator.modal_data("config-advanced:", {"advanced_parameters": ""})
    assert data["components"][0]["component"] == {
        "type": 4,
        "custom_id": "advanced_parameters",
        "value": "",
    }


@pytest.mark.parametrize(
    ("name", "args", "problem"),
    [
        ("chat", ["personality=lilith", "message=" + "x" * 2001], "`message` can be at most 2000"),
        ("chat", ["personality=lilith", "message="], "`message` needs at least 1 character"),
        ("chat", ["personality=lilith"], "`message` is required"),
        ("imagine", ["prompt=cat", "size=5x5"], "`size` must be one of: 1024x1024"),
        ("config", ["set-param", "name=temperature", "value=-1"], "`value` must be at least 0"),
        ("config", ["set-param", "name=heat", "value=1"], "`name` must be one of: temperature"),
    ],
)
def test_option_values_discord_would_refuse(name, args, problem):
    with pytest.raises(SimulateError, match=f"Discord would not send this /{name}: {problem}"):
        simulator.command_data(name, args)


def test_the_cli_says_it_in_one_line(capsys):
    code = main(["simulate", "modal", "config-advanced:lilith", "advanced={}"])
    err = capsys.readouterr().err
    assert code != 0
    assert err.strip().splitlines() == [
        "tzurot: error: Discord would not send this form: the form has no field 'advanced' "
        "(its fields: advanced_parameters)"
    ]
