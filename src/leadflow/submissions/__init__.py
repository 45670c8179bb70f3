"""Lead submission (the LeadSail dialect): the strict request schema and the pipeline's steps."""
