# The fuzz targets: fuzz/<name>_fuzz.cc, its seeds in fuzz/corpus/<name>/, the inputs that once
# failed in fuzz/regressions/<name>/. Read by fuzz/CMakeLists.txt (the fuzz build) and
# tests/CMakeLists.txt (one ctest test per target, label `fuzz`).
set(RG_FUZZ_TARGETS
  main_cf
  master_cf
  postfix_tables
  exim_conf
  exim_lists
  update_exim4_conf
  sendmail_mc
  sendmail_access
  policy
  agent_config
  controller_config
  schedule
  address
  smtp_reply
  scan_targets
  log_parser
  stream_proto
)
