"""Reading findings off a document: what it names, the model's names grounded, drafts read off the
sentences, the decision, and the stored findings. ``extract`` drives the stages; no database here.
"""
