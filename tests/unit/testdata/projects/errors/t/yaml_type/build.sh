#!/bin/sh
echo building t/yaml_type
