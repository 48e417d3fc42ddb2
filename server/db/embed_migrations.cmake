# Generates migrations.cpp from the .sql files of the migrations directory.
# Input: MIGRATIONS_DIR, OUTPUT.
file(GLOB files "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  get_filename_component(name "${f}" NAME_WE)
  string(REGEX MATCH "^[0-9]+" version "${name}")
  math(EXPR version "${version}")
  file(READ "${f}" sql)
  string(APPEND body "        {${version}, \"${name}\", R\"relais_sql(${sql})relais_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from server/db/migrations/*.sql: do not edit.\n#include \"db/migrations.hpp\"\n\nnamespace relais::db {\n\nconst std::vector<migration>& all_migrations() {\n    static const std::vector<migration> list{\n${body}    };\n    return list;\n}\n\n}  // namespace relais::db\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
