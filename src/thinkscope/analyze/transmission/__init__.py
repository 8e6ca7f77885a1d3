"""Knowledge transmission through fine-tuning data: expression rates of teachers, students and
controls, read from their stored answers (see ``thinkscope.interventions``)."""
